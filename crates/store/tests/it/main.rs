//! The encrypted store: objects and their tampering cases, and the store on disk with SQLite and PostgreSQL.

mod objects;
mod store;
