//! The vault as a running process on Anvil with the simulated platform: booted and fed by the owner's
//! wallet, queried by researchers over attested TLS, refusing everything without live consent, and its
//! API held to its OpenAPI description and the GA4GH Beacon v2 schemas.

mod app;
mod app_inbox;
mod audit;
mod bodies;
mod browser;
mod chain_view;
mod crash;
mod descriptors;
mod grants;
mod hostile_relay;
mod ingest;
mod load;
mod native;
mod query;
mod record;
mod refusals;
mod relay;
mod reorg;
mod schemas;
mod schemathesis;
mod serve;
mod story;
mod terms;
mod tool_install;
mod tools;
mod web;
