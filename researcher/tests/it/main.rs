//! The researcher's command line. (Its queries against a running vault are in the workspace's `tests/`
//! package, which runs this binary.)

mod cli;
