//! Attested TLS: clients reach only the server whose key they pinned.

mod pinning;
