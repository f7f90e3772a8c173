//! Time per element of the activation kernels against Burn's own activations on `flex`,
//! on a 128×256 tensor (the `wide` MLP's hidden layer), in f32 and f64.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p caputo --example activation_speed
//! ```
//!
//! Columns: Burn's op on a fresh tensor (`Tensor::tanh`, `burn::tensor::activation::*`);
//! [`caputo::activation::apply`] on the same; the slice kernel alone
//! ([`caputo::activation::forward`], no tensor overhead); a scalar libm loop where std has
//! the function; then forward + backward on an autodiff device, Burn's against `apply`.
//! Each time is the median of 7 batches; Burn's and ours alternate batch by batch, so that
//! load from other processes affects both alike.

use std::hint::black_box;
use std::time::Instant;

use burn::tensor::{DType, Device, Tensor, TensorData};
use caputo::activation::{self, Activation};

const SHAPE: [usize; 2] = [128, 256];

/// Median over 7 batches of `reps` calls, in ns per element.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    time_pair(reps, &mut f, &mut || {}).0
}

/// Like [`time`] for two functions, their batches interleaved (so that load from other
/// processes hits both alike).
fn time_pair(reps: usize, f: &mut dyn FnMut(), g: &mut dyn FnMut()) -> (f64, f64) {
    let n = (SHAPE[0] * SHAPE[1]) as f64;
    let batch = |h: &mut dyn FnMut()| {
        let s = Instant::now();
        for _ in 0..reps {
            h();
        }
        s.elapsed().as_nanos() as f64 / (reps as f64 * n)
    };
    batch(f); // warm up (allocator, caches)
    batch(g);
    let (mut tf, mut tg): (Vec<f64>, Vec<f64>) = (0..7).map(|_| (batch(f), batch(g))).unzip();
    tf.sort_by(f64::total_cmp);
    tg.sort_by(f64::total_cmp);
    (tf[3], tg[3])
}

fn libm_f32(act: Activation) -> Option<fn(f32) -> f32> {
    match act {
        Activation::Tanh => Some(f32::tanh),
        Activation::Sigmoid => Some(|x| 1.0 / (1.0 + (-x).exp())),
        Activation::Softplus => Some(|x| x.max(0.0) + (-x.abs()).exp().ln_1p()),
        Activation::Silu => Some(|x| x / (1.0 + (-x).exp())),
        _ => None,
    }
}

fn table(dtype: DType, reps: usize) {
    let n = SHAPE[0] * SHAPE[1];
    let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 2000) as f64 / 250.0 - 4.0).collect(); // [−4, 4)
    let dev = Device::flex();
    let ad = Device::flex().autodiff();
    let x = Tensor::<2>::from_data(TensorData::new(v.clone(), SHAPE), (&dev, dtype));
    let w = Tensor::<2>::from_data(TensorData::new(vec![1.0; n], SHAPE), (&ad, dtype));
    let base = time(reps, || drop(black_box(x.clone().mul_scalar(1.0))));
    println!(
        "\n{dtype:?}, {}×{}, ns/element (median of 7; making the input, {base:.2}, subtracted)",
        SHAPE[0], SHAPE[1]
    );
    println!(
        "{:<9} {:>10} {:>10} {:>8} {:>8} {:>7} | {:>12} {:>12} {:>7}",
        "", "Burn", "apply", "kernel", "libm", "speedup", "Burn fwd+bwd", "apply f+b", "speedup"
    );
    for act in [
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Softplus,
        Activation::Relu,
        Activation::Gelu,
        Activation::Silu,
    ] {
        // A fresh (unshared) input each call, as a layer's output is: both Burn's op and
        // `apply` then work in place. The time to make it (`base`) is subtracted.
        let fresh = || black_box(x.clone().mul_scalar(1.0));
        let (burn, ours) = time_pair(reps, &mut || drop(black_box(activation::with_burn(act, fresh()))), &mut || {
            drop(black_box(activation::apply(act, fresh())))
        });
        let (burn, ours) = (burn - base, ours - base);
        let kernel = match dtype {
            DType::F32 => {
                let xs: Vec<f32> = v.iter().map(|&a| a as f32).collect();
                let mut ys = vec![0.0f32; n];
                time(reps, || activation::forward(act, black_box(&xs), &mut ys))
            }
            _ => {
                let mut ys = vec![0.0f64; n];
                time(reps, || activation::forward(act, black_box(&v), &mut ys))
            }
        };
        let libm = match (dtype, libm_f32(act)) {
            (DType::F32, Some(f)) => {
                let xs: Vec<f32> = v.iter().map(|&a| a as f32).collect();
                let mut ys = vec![0.0f32; n];
                format!(
                    "{:.2}",
                    time(reps, || {
                        for (y, &x) in ys.iter_mut().zip(black_box(&xs)) {
                            *y = f(x);
                        }
                    })
                )
            }
            _ => "-".into(),
        };
        let xa = Tensor::<2>::from_data(TensorData::new(v.clone(), SHAPE), (&ad, dtype)).require_grad();
        let grad = |f: &dyn Fn(Tensor<2>) -> Tensor<2>| {
            let g = (f(xa.clone()) * w.clone()).sum().backward();
            drop(black_box(xa.grad(&g)));
        };
        let (burn_ad, ours_ad) = time_pair(reps / 4 + 1, &mut || grad(&|t| activation::with_burn(act, t)), &mut || {
            grad(&|t| activation::apply(act, t))
        });
        println!(
            "{:<9} {burn:>10.2} {ours:>10.2} {kernel:>8.2} {libm:>8} {:>6.1}x | {burn_ad:>12.2} {ours_ad:>12.2} {:>6.1}x",
            act.name(),
            burn / ours,
            burn_ad / ours_ad
        );
    }
}

fn main() {
    match std::env::var("RAYON_NUM_THREADS").as_deref() {
        Ok("1") => {}
        _ => eprintln!("note: set RAYON_NUM_THREADS=1 for single-threaded timings (Burn's flex uses rayon)"),
    }
    table(DType::F32, 200);
    table(DType::F64, 100);
}
