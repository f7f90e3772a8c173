//! The image data: the bundled 5,000-digit MNIST sample (fixed 4,000/1,000 split, seed 0) or
//! IDX files (MNIST, Fashion-MNIST) from a directory, and batches as Burn tensors.

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};

use crate::data::{DEFAULT_N_TRAIN, DEFAULT_SPLIT_SEED};
use crate::data::{DataError, ImageSet, bundled_mnist_5k_path, load_idx_dir, read_mnist_csv, split_train_test};

/// Pixel mean of the MNIST training set (pixels scaled to [0, 1]); inputs are standardised
/// with it and [`PIXEL_STD`] (the usual constants; for Fashion-MNIST they are merely a
/// reasonable scaling, and the stem's GroupNorm removes the rest).
pub const PIXEL_MEAN: f32 = 0.1307;
/// Pixel standard deviation of the MNIST training set.
pub const PIXEL_STD: f32 = 0.3081;

/// Training and test images.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Training images.
    pub train: ImageSet,
    /// Held-out test images.
    pub test: ImageSet,
    /// Where they came from (for results.json).
    pub source: String,
}

impl Dataset {
    /// A 64-bit fingerprint of the pixels and labels (train, then test): a resumed run or an
    /// evaluation must use the same data.
    pub fn fingerprint(&self) -> String {
        // FNV-1a (as `train::results::fnv1a64`) over the bytes, streamed: the full MNIST would
        // otherwise need a 190 MB buffer.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for set in [&self.train, &self.test] {
            eat(&(set.n as u64).to_le_bytes());
            for p in &set.images {
                eat(&p.to_bits().to_le_bytes());
            }
            eat(&set.labels);
        }
        format!("{h:016x}")
    }
}

/// Loads the data: `dir = None` reads the bundled `data/mnist_5k.csv.gz` and splits it
/// 4,000/1,000 with seed 0; `Some(dir)` reads the IDX `train` and `t10k` files there.
/// `n_train`/`n_test` keep only the first images of each part (all when `None`).
///
/// # Errors
/// Any reader error, and a data set whose images are smaller than 4×4 (the stem halves the
/// side twice; any size works, the defaults were chosen for 28×28) or whose labels are not
/// `0..=9`.
pub fn load(dir: Option<&Path>, n_train: Option<usize>, n_test: Option<usize>) -> Result<Dataset, DataError> {
    let (mut train, mut test, source) = match dir {
        None => {
            let path = bundled_mnist_5k_path();
            let all = read_mnist_csv(&path)?;
            let (train, test) = split_train_test(&all, DEFAULT_N_TRAIN, DEFAULT_SPLIT_SEED);
            (
                train,
                test,
                format!(
                    "bundled MNIST sample ({}, split {DEFAULT_N_TRAIN}/{} seed {DEFAULT_SPLIT_SEED})",
                    path.display(),
                    all.n - DEFAULT_N_TRAIN
                ),
            )
        }
        Some(d) => (load_idx_dir(d, "train")?, load_idx_dir(d, "t10k")?, format!("IDX files in {}", d.display())),
    };
    for (set, what) in [(&train, "training"), (&test, "test")] {
        if set.rows < 4 || set.cols < 4 {
            return Err(DataError::malformed(
                dir.unwrap_or(Path::new("data")),
                format!("{what} images are {}×{}; the classifier needs at least 4×4 pixels", set.rows, set.cols),
            ));
        }
        if let Some(l) = set.labels.iter().find(|l| **l > 9) {
            return Err(DataError::malformed(
                dir.unwrap_or(Path::new("data")),
                format!("{what} label {l}: the classifier has 10 classes (0..=9)"),
            ));
        }
    }
    if let Some(n) = n_train {
        train = train.subset(&(0..n.min(train.n)).collect::<Vec<_>>());
    }
    if let Some(n) = n_test {
        test = test.subset(&(0..n.min(test.n)).collect::<Vec<_>>());
    }
    Ok(Dataset { train, test, source })
}

/// The images at `idx` as a standardised `[B, 1, rows, cols]` tensor on `device` (in the
/// device's float type) and their labels.
pub fn batch(set: &ImageSet, idx: &[usize], device: &Device) -> (Tensor<4>, Vec<u8>) {
    let p = set.pixels();
    let mut v = Vec::with_capacity(idx.len() * p);
    let mut labels = Vec::with_capacity(idx.len());
    let inv_std = 1.0 / PIXEL_STD;
    for &i in idx {
        v.extend(set.image(i).iter().map(|x| (x - PIXEL_MEAN) * inv_std));
        labels.push(set.labels[i]);
    }
    (Tensor::from_data(TensorData::new(v, [idx.len(), 1, set.rows, set.cols]), device), labels)
}

/// Random small affine distortions of training images, drawn from the run's RNG (so a
/// resumed run draws the same ones): rotation by up to ±`max_deg` degrees, scaling by a factor
/// in `[1 − max_scale, 1 + max_scale]` and a shift of up to ±`max_shift` pixels in each
/// direction, sampled bilinearly with background (0) outside the image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Augment {
    /// Largest rotation in degrees.
    pub max_deg: f64,
    /// Largest relative change of scale.
    pub max_scale: f64,
    /// Largest shift in pixels.
    pub max_shift: f64,
}

impl Augment {
    /// The distortion the default run uses: ±10°, ±10% scale, ±2 pixels.
    pub const DEFAULT: Augment = Augment { max_deg: 10.0, max_scale: 0.1, max_shift: 2.0 };

    /// Distorts one `rows × cols` image (pixels in [0, 1]).
    pub fn apply(&self, img: &[f32], rows: usize, cols: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Vec<f32> {
        let mut u = || 2.0 * crate::data::uniform01(rng) - 1.0;
        let th = (self.max_deg * u()).to_radians();
        let sc = 1.0 + self.max_scale * u();
        let (dx, dy) = (self.max_shift * u(), self.max_shift * u());
        let (cy, cx) = ((rows as f64 - 1.0) * 0.5, (cols as f64 - 1.0) * 0.5);
        // Output pixel (y, x) samples the input at the inverse transform of its position.
        let (c, s) = (th.cos() / sc, th.sin() / sc);
        let px = |y: isize, x: isize| -> f64 {
            if y < 0 || x < 0 || y >= rows as isize || x >= cols as isize {
                0.0
            } else {
                f64::from(img[y as usize * cols + x as usize])
            }
        };
        let mut out = Vec::with_capacity(rows * cols);
        for y in 0..rows {
            for x in 0..cols {
                let (yy, xx) = (y as f64 - cy - dy, x as f64 - cx - dx);
                let sy = c * yy - s * xx + cy;
                let sx = s * yy + c * xx + cx;
                let (y0, x0) = (sy.floor(), sx.floor());
                let (fy, fx) = (sy - y0, sx - x0);
                let (y0, x0) = (y0 as isize, x0 as isize);
                let v = (1.0 - fy) * ((1.0 - fx) * px(y0, x0) + fx * px(y0, x0 + 1))
                    + fy * ((1.0 - fx) * px(y0 + 1, x0) + fx * px(y0 + 1, x0 + 1));
                out.push(v as f32);
            }
        }
        out
    }
}

/// Like [`batch`], with every image distorted by `aug`.
pub fn augmented_batch(
    set: &ImageSet,
    idx: &[usize],
    aug: &Augment,
    rng: &mut rand_chacha::ChaCha8Rng,
    device: &Device,
) -> (Tensor<4>, Vec<u8>) {
    let p = set.pixels();
    let mut v = Vec::with_capacity(idx.len() * p);
    let mut labels = Vec::with_capacity(idx.len());
    let inv_std = 1.0 / PIXEL_STD;
    for &i in idx {
        let img = aug.apply(set.image(i), set.rows, set.cols, rng);
        v.extend(img.iter().map(|x| (x - PIXEL_MEAN) * inv_std));
        labels.push(set.labels[i]);
    }
    (Tensor::from_data(TensorData::new(v, [idx.len(), 1, set.rows, set.cols]), device), labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn tiny() -> Dataset {
        let set = |n: usize, off: f32| ImageSet {
            images: (0..n * 16).map(|i| (i % 7) as f32 / 7.0 + off).collect(),
            labels: (0..n).map(|i| (i % 10) as u8).collect(),
            n,
            rows: 4,
            cols: 4,
        };
        Dataset { train: set(3, 0.0), test: set(2, 0.01), source: "test".into() }
    }

    #[test]
    fn fingerprint_is_fnv1a_of_the_concatenated_bytes_and_sees_every_pixel() {
        let d = tiny();
        let mut bytes = Vec::new();
        for set in [&d.train, &d.test] {
            bytes.extend_from_slice(&(set.n as u64).to_le_bytes());
            for p in &set.images {
                bytes.extend_from_slice(&p.to_bits().to_le_bytes());
            }
            bytes.extend_from_slice(&set.labels);
        }
        assert_eq!(d.fingerprint(), format!("{:016x}", crate::train::results::fnv1a64(&bytes)));
        let mut e = d.clone();
        e.test.images[31] += 1e-3;
        assert_ne!(d.fingerprint(), e.fingerprint());
    }

    #[test]
    fn augmentation_without_distortion_is_the_identity_and_keeps_pixels_in_range() {
        let d = tiny();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let none = Augment { max_deg: 0.0, max_scale: 0.0, max_shift: 0.0 };
        let img = d.train.image(1);
        let out = none.apply(img, 4, 4, &mut rng);
        for (a, b) in img.iter().zip(&out) {
            assert!((a - b).abs() < 1e-6, "{img:?} vs {out:?}");
        }
        let out = Augment::DEFAULT.apply(img, 4, 4, &mut rng);
        assert!(out.iter().all(|v| (0.0..=1.0 + 1e-6).contains(v)), "{out:?}");
    }
}
