//! The IDX format of the original MNIST distribution.
//!
//! An IDX file is a big-endian header followed by raw `u8` data:
//!
//! * images (`*-images-idx3-ubyte`): magic `0x00000803` (unsigned bytes,
//!   3 dimensions), then `n`, `rows`, `cols` as `u32`, then `n·rows·cols`
//!   pixels, image-major and row-major;
//! * labels (`*-labels-idx1-ubyte`): magic `0x00000801`, then `n` as `u32`,
//!   then `n` label bytes.
//!
//! Files may be plain or gzip-compressed; compression is detected from the
//! gzip magic bytes `1f 8b`, not from the file name. Labels are passed
//! through unchanged (MNIST's are `0..=9`; other IDX datasets such as EMNIST
//! use other ranges, so no class count is imposed here).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{DataError, ImageSet, read_maybe_gz};

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Checks the magic number and returns the `dims` big-endian dimensions and
/// the payload after the header, which must be exactly as long as the
/// dimensions imply.
fn parse_header<'a>(
    path: &Path,
    bytes: &'a [u8],
    magic: u32,
    dims: usize,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let header = 4 + 4 * dims;
    // Check the magic first (when there are 4 bytes to check) so that a
    // wrong file is reported as such rather than as merely short.
    if bytes.len() >= 4 && be_u32(bytes, 0) != magic {
        return Err(DataError::BadMagic { path: path.to_path_buf(), expected: magic, found: be_u32(bytes, 0) });
    }
    if bytes.len() < header {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected_bytes: header as u64,
            found_bytes: bytes.len() as u64,
        });
    }
    let shape: Vec<usize> = (0..dims).map(|d| be_u32(bytes, 4 + 4 * d) as usize).collect();
    // u64 arithmetic: a corrupt header could overflow usize on 32-bit hosts.
    let expected = header as u64 + shape.iter().map(|&d| d as u64).product::<u64>();
    let found = bytes.len() as u64;
    if found < expected {
        return Err(DataError::Truncated { path: path.to_path_buf(), expected_bytes: expected, found_bytes: found });
    }
    if found > expected {
        return Err(DataError::malformed(
            path,
            format!("{} bytes after the {expected} that the header implies (wrong file or corrupt)", found - expected),
        ));
    }
    Ok((shape, &bytes[header..]))
}

/// Reads an IDX image file and its label file (each plain or gzip) into an
/// [`ImageSet`], scaling pixels to `[0, 1]`.
///
/// Fails with [`DataError::BadMagic`] if a file is not of the expected kind
/// (e.g. the two paths swapped), [`DataError::Truncated`] if a file is
/// shorter than its header implies, and [`DataError::CountMismatch`] if the
/// two files hold different numbers of items.
pub fn read_idx_pair(images: &Path, labels: &Path) -> Result<ImageSet, DataError> {
    let img_bytes = read_maybe_gz(images)?;
    let (shape, pixels) = parse_header(images, &img_bytes, IMAGES_MAGIC, 3)?;
    let (n, rows, cols) = (shape[0], shape[1], shape[2]);
    let lab_bytes = read_maybe_gz(labels)?;
    let (lshape, lab) = parse_header(labels, &lab_bytes, LABELS_MAGIC, 1)?;
    if lshape[0] != n {
        return Err(DataError::CountMismatch {
            what: format!("{} / {}", images.display(), labels.display()),
            images: n,
            labels: lshape[0],
        });
    }
    Ok(ImageSet { images: pixels.iter().map(|&p| f32::from(p) / 255.0).collect(), labels: lab.to_vec(), n, rows, cols })
}

/// File names tried for `kind` (`"images"` or `"labels"`) of `split`, in
/// order: the official names, then the dotted variant some mirrors use.
fn candidates(split: &str, kind: &str) -> Vec<String> {
    let dims = if kind == "images" { 3 } else { 1 };
    let base = format!("{split}-{kind}-idx{dims}-ubyte");
    let dotted = format!("{split}-{kind}.idx{dims}-ubyte");
    vec![base.clone(), format!("{base}.gz"), dotted.clone(), format!("{dotted}.gz")]
}

fn find_file(dir: &Path, split: &str, kind: &str) -> Result<PathBuf, DataError> {
    let names = candidates(split, kind);
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file()).ok_or_else(|| {
        DataError::io(
            dir.join(&names[0]),
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("not found (also tried {})", names[1..].join(", ")),
            ),
        )
    })
}

/// Loads one MNIST split from a directory holding the standard files.
///
/// `split` is `"train"` (60,000 images in the original) or `"t10k"` (the
/// 10,000 test images). Looks for `{split}-images-idx3-ubyte` and
/// `{split}-labels-idx1-ubyte`, each optionally with `.gz`, and also the
/// `{split}-images.idx3-ubyte` spelling some mirrors use.
pub fn load_idx_dir(dir: &Path, split: &str) -> Result<ImageSet, DataError> {
    if split != "train" && split != "t10k" {
        return Err(DataError::malformed(dir, format!("unknown MNIST split `{split}` (expected `train` or `t10k`)")));
    }
    let images = find_file(dir, split, "images")?;
    let labels = find_file(dir, split, "labels")?;
    read_idx_pair(&images, &labels)
}

/// Writes `set` as an IDX image file and label file, gzip-compressed when
/// `gzip` is true. Pixels are mapped back to bytes as `round(v·255)`,
/// clamped to `0..=255`, so a set read from IDX round-trips exactly.
///
/// Fails with [`DataError::InconsistentSizes`] if the set's vectors do not
/// match its dimensions, or [`DataError::Io`] on a write error.
pub fn write_idx_pair(images: &Path, labels: &Path, set: &ImageSet, gzip: bool) -> Result<(), DataError> {
    if set.images.len() != set.n * set.rows * set.cols {
        return Err(DataError::InconsistentSizes {
            what: "ImageSet pixels (n × rows × cols)".to_string(),
            expected: set.n * set.rows * set.cols,
            found: set.images.len(),
        });
    }
    if set.labels.len() != set.n {
        return Err(DataError::InconsistentSizes {
            what: "ImageSet labels (n)".to_string(),
            expected: set.n,
            found: set.labels.len(),
        });
    }
    let dim = |d: usize, path: &Path| {
        u32::try_from(d)
            .map_err(|_| DataError::malformed(path, format!("dimension {d} does not fit the IDX u32 header")))
    };
    let mut img = Vec::with_capacity(16 + set.images.len());
    img.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
    for d in [set.n, set.rows, set.cols] {
        img.extend_from_slice(&dim(d, images)?.to_be_bytes());
    }
    img.extend(set.images.iter().map(|&v| (v * 255.0).round().clamp(0.0, 255.0) as u8));
    let mut lab = Vec::with_capacity(8 + set.n);
    lab.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    lab.extend_from_slice(&dim(set.n, labels)?.to_be_bytes());
    lab.extend_from_slice(&set.labels);
    write_bytes(images, &img, gzip)?;
    write_bytes(labels, &lab, gzip)
}

fn write_bytes(path: &Path, bytes: &[u8], gzip: bool) -> Result<(), DataError> {
    let out = if gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).map_err(|e| DataError::io(path, e))?;
        enc.finish().map_err(|e| DataError::io(path, e))?
    } else {
        bytes.to_vec()
    };
    std::fs::write(path, out).map_err(|e| DataError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::super::test_dir;
    use super::*;

    fn sample(n: usize) -> ImageSet {
        let (rows, cols) = (4, 3);
        let images = (0..n * rows * cols).map(|i| ((i * 37) % 256) as f32 / 255.0).collect();
        ImageSet { images, labels: (0..n).map(|i| (i % 10) as u8).collect(), n, rows, cols }
    }

    #[test]
    fn round_trip_plain() {
        let dir = test_dir("idx_plain");
        let set = sample(7);
        let (i, l) = (dir.join("a-images"), dir.join("a-labels"));
        write_idx_pair(&i, &l, &set, false).unwrap();
        assert_eq!(std::fs::read(&i).unwrap().len(), 16 + 7 * 12);
        assert_eq!(read_idx_pair(&i, &l).unwrap(), set);
    }

    #[test]
    fn round_trip_gzip_detected_by_content() {
        let dir = test_dir("idx_gz");
        let set = sample(5);
        // No .gz extension: detection must be by the magic bytes.
        let (i, l) = (dir.join("imgs.bin"), dir.join("labs.bin"));
        write_idx_pair(&i, &l, &set, true).unwrap();
        assert_eq!(&std::fs::read(&i).unwrap()[..2], &[0x1f, 0x8b]);
        assert_eq!(read_idx_pair(&i, &l).unwrap(), set);
    }

    #[test]
    fn load_dir_finds_gz_and_plain_names() {
        let dir = test_dir("idx_dir");
        let train = sample(6);
        let test = sample(2);
        write_idx_pair(&dir.join("train-images-idx3-ubyte.gz"), &dir.join("train-labels-idx1-ubyte.gz"), &train, true)
            .unwrap();
        write_idx_pair(&dir.join("t10k-images-idx3-ubyte"), &dir.join("t10k-labels-idx1-ubyte"), &test, false).unwrap();
        assert_eq!(load_idx_dir(&dir, "train").unwrap(), train);
        assert_eq!(load_idx_dir(&dir, "t10k").unwrap(), test);
        assert!(matches!(load_idx_dir(&dir, "val"), Err(DataError::Malformed { .. })));
        let empty = test_dir("idx_dir_empty");
        let err = load_idx_dir(&empty, "train").unwrap_err();
        assert!(matches!(err, DataError::Io { .. }));
        assert!(err.to_string().contains("train-images-idx3-ubyte"), "{err}");
    }

    #[test]
    fn wrong_magic_is_reported() {
        let dir = test_dir("idx_magic");
        let (i, l) = (dir.join("i"), dir.join("l"));
        write_idx_pair(&i, &l, &sample(3), false).unwrap();
        // Swapped arguments: the label file is not an image file.
        match read_idx_pair(&l, &i) {
            Err(DataError::BadMagic { path, expected, found }) => {
                assert_eq!(path, l);
                assert_eq!(expected, IMAGES_MAGIC);
                assert_eq!(found, LABELS_MAGIC);
            }
            other => panic!("expected BadMagic, got {other:?}"),
        }
        let err = read_idx_pair(&l, &i).unwrap_err().to_string();
        assert!(err.contains("0x00000801") && err.contains("0x00000803"), "{err}");
    }

    #[test]
    fn truncated_files_are_reported() {
        let dir = test_dir("idx_trunc");
        let (i, l) = (dir.join("i"), dir.join("l"));
        write_idx_pair(&i, &l, &sample(3), false).unwrap();
        let full = std::fs::read(&i).unwrap();
        std::fs::write(&i, &full[..full.len() - 5]).unwrap();
        match read_idx_pair(&i, &l) {
            Err(DataError::Truncated { expected_bytes, found_bytes, .. }) => {
                assert_eq!(expected_bytes, full.len() as u64);
                assert_eq!(found_bytes, full.len() as u64 - 5);
            }
            other => panic!("expected Truncated, got {other:?}"),
        }
        // A header cut short is truncated too.
        std::fs::write(&i, &full[..10]).unwrap();
        assert!(matches!(read_idx_pair(&i, &l), Err(DataError::Truncated { expected_bytes: 16, found_bytes: 10, .. })));
        // Extra bytes are not silently ignored.
        let mut long = full.clone();
        long.push(0);
        std::fs::write(&i, &long).unwrap();
        assert!(matches!(read_idx_pair(&i, &l), Err(DataError::Malformed { .. })));
    }

    #[test]
    fn count_mismatch_is_reported() {
        let dir = test_dir("idx_count");
        let (i, l) = (dir.join("i"), dir.join("l"));
        let (i2, l2) = (dir.join("i2"), dir.join("l2"));
        write_idx_pair(&i, &l, &sample(3), false).unwrap();
        write_idx_pair(&i2, &l2, &sample(4), true).unwrap();
        match read_idx_pair(&i, &l2) {
            Err(DataError::CountMismatch { images, labels, .. }) => {
                assert_eq!((images, labels), (3, 4));
            }
            other => panic!("expected CountMismatch, got {other:?}"),
        }
    }

    #[test]
    fn missing_file_is_io_error_naming_it() {
        let dir = test_dir("idx_missing");
        let p = dir.join("nope");
        match read_idx_pair(&p, &p) {
            Err(DataError::Io { path, .. }) => assert_eq!(path, p),
            other => panic!("expected Io, got {other:?}"),
        }
    }
}
