//! The `caputo` command line as a library (so tests and benchmarks call the same code):
//! built-in problems, `solve`, `grad`, `bench` (and `plot-bench`), the training applications, data readers.

pub mod alloc;
pub mod apps;
pub mod bench;
pub mod cli;
pub mod data;
pub mod grad;
pub mod output;
pub mod plot_cmd;
pub mod problems;
pub mod solve;
pub mod train;
