//! The error type shared by every dataset reader.

use std::path::PathBuf;

/// Everything that can go wrong while reading or checking a dataset.
///
/// Each variant names the file it concerns (where there is one) and says
/// what was expected, so that the one-line `Display` message is enough for
/// a user to find and fix the problem. Line and column numbers are 1-based;
/// for binary sources "line" is the 1-based record number (the meaning is
/// given on each variant).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file being read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A binary file does not start with the magic number of its format.
    #[error("{}: bad magic number 0x{found:08x} (expected 0x{expected:08x})", path.display())]
    BadMagic {
        /// The file being read.
        path: PathBuf,
        /// The magic number the format requires.
        expected: u32,
        /// The first four bytes of the file, big-endian.
        found: u32,
    },

    /// A binary file is shorter than its header says it must be.
    #[error(
        "{}: truncated: the header implies {expected_bytes} bytes but the file has {found_bytes}",
        path.display()
    )]
    Truncated {
        /// The file being read.
        path: PathBuf,
        /// Bytes needed (after decompression) for the header's dimensions.
        expected_bytes: u64,
        /// Bytes actually present (after decompression).
        found_bytes: u64,
    },

    /// An image file and its label file hold different numbers of items.
    #[error("{what}: {images} images but {labels} labels")]
    CountMismatch {
        /// Which pair of files, e.g. the two paths joined by " / ".
        what: String,
        /// Number of images.
        images: usize,
        /// Number of labels.
        labels: usize,
    },

    /// A text file has a malformed line.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file being read.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column: the index of the comma-separated field, or of the
        /// character where that is more useful (said in `message`).
        column: usize,
        /// What is wrong, and what was expected.
        message: String,
    },

    /// A class label is out of range or not a valid encoding of a class.
    #[error(
        "{}:{line}: bad label `{label}` (expected one class in 0..{n_classes})",
        path.display()
    )]
    BadLabel {
        /// The file being read.
        path: PathBuf,
        /// 1-based line number (text files) or row number (matrices).
        line: usize,
        /// The offending label as written (for one-hot rows, the row).
        label: String,
        /// The number of classes the format allows.
        n_classes: usize,
    },

    /// An edge or a node reference names a node that does not exist.
    #[error(
        "{}:{line}: node {node} out of range (the graph has {n_nodes} nodes, ids 0..{n_nodes})",
        path.display()
    )]
    NodeOutOfRange {
        /// The file being read.
        path: PathBuf,
        /// 1-based line number (text files) or entry number (pickled dicts).
        line: usize,
        /// The node id found.
        node: u64,
        /// The number of nodes in the graph.
        n_nodes: usize,
    },

    /// Two parts of a dataset disagree on a size.
    #[error("inconsistent sizes: {what}: expected {expected}, found {found}")]
    InconsistentSizes {
        /// Which size, naming the files involved.
        what: String,
        /// The size implied by the other parts.
        expected: usize,
        /// The size found.
        found: usize,
    },

    /// A file that must hold data holds none.
    #[error("{}: file holds no data", path.display())]
    Empty {
        /// The empty file.
        path: PathBuf,
    },

    /// A Python pickle could not be decoded (corrupt, or uses a feature this
    /// minimal reader does not implement, such as an unsupported opcode).
    #[error("{}: pickle byte {offset}: {message}", path.display())]
    Pickle {
        /// The pickle file.
        path: PathBuf,
        /// Byte offset of the opcode that failed.
        offset: u64,
        /// What is wrong or unsupported.
        message: String,
    },

    /// A file decoded fine but does not hold the structure the format needs
    /// (e.g. a pickle holding a list where a sparse matrix was expected).
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The file being read.
        path: PathBuf,
        /// What is wrong, and what was expected.
        message: String,
    },
}

impl DataError {
    /// Builds an [`DataError::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io { path: path.into(), source }
    }

    /// Builds a [`DataError::Parse`] for `path`.
    pub(crate) fn parse(path: impl Into<PathBuf>, line: usize, column: usize, message: impl Into<String>) -> Self {
        DataError::Parse { path: path.into(), line, column, message: message.into() }
    }

    /// Builds a [`DataError::Malformed`] for `path`.
    pub(crate) fn malformed(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        DataError::Malformed { path: path.into(), message: message.into() }
    }
}
