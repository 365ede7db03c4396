//! Black-box tests: each starts the real `cartouche` binary on a temporary data
//! directory and drives it over HTTP and the CLI, as ministries and officers would.
//! One test binary (linked once), one module per area.

mod api;
mod attacks;
mod authz;
mod cli;
mod crash;
mod disk;
mod document;
mod durability;
mod federation;
mod hostile;
mod keys;
mod lifecycle;
mod log;
mod photos;
mod plugins;
mod postgres;
mod qr;
mod slow;
mod support;
mod watch;
mod web;
