-- How many queries ran under each grant that has a query budget, counted in the same transaction that
-- consumes the query's nonce. A grant is named by the Granted event that made it, so a renewal counts anew.

CREATE TABLE IF NOT EXISTS query_budgets (grant_key TEXT PRIMARY KEY, used BIGINT NOT NULL);
