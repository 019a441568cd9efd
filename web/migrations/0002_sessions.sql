-- Sign-In with Ethereum: the nonces handed out (each signs in once, before it expires) and the sessions they
-- opened. A session is found by the SHA-256 of its cookie's token: the database never holds the token.
CREATE TABLE IF NOT EXISTS signin_nonces (
    nonce TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    expires BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    expires BIGINT NOT NULL
);
