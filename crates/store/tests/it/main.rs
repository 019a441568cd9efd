//! The encrypted store: objects and their tampering cases, the store on disk with SQLite and PostgreSQL, and
//! its chained audit log against a host that edits the database.

mod audit;
mod objects;
mod store;
