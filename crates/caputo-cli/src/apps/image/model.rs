//! The classifier: a downsampling stem, an FDE block whose field is a small conv net, and a
//! pooling + linear head (ODE-Net, Chen et al. 2018, with `D^α` in place of `d/dt`).
//!
//! ```text
//! x [B,1,28,28] ─ stem ─▶ h0 [B,C,7,7] ─ D^α h = f(t, h; θ), t ∈ [0, T] ─▶ h(T) ─ head ─▶ logits [B,10]
//! stem: conv3×3(1→C) GN ReLU conv3×3/2(C→C) GN ReLU conv3×3/2(C→C)
//! f:    GN ReLU conv3×3([h,t]→C) GN ReLU conv3×3([h,t]→C) GN        (t appended as a channel)
//! head: GN ReLU global-average-pool linear(C→10)
//! ```
//!
//! All parameters are drawn from a ChaCha8 stream seeded by the caller (Burn's bounds: weights
//! and biases `U(−1/√fan_in, 1/√fan_in)`, GroupNorm `γ = 1, β = 0`), not from Burn's device RNG,
//! which is shared by the whole process: two models built with the same seed are identical
//! even when tests build models on several threads at once.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use caputo::VectorField;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The number of GroupNorm groups for `width` channels: the largest divisor of `width` that is
/// at most 8 (ODE-Net uses `min(32, width)` groups at width 64, i.e. two channels per group;
/// at the small widths of a CPU run, eight groups keep at least two channels per group from
/// width 16 on).
pub fn groups_for(width: usize) -> usize {
    (1..=8.min(width)).rev().find(|g| width.is_multiple_of(*g)).unwrap_or(1)
}

/// The model's sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageModelConfig {
    /// Channels `C` of the latent state (the FDE block's width).
    pub width: usize,
    /// Input channels (1 for grey-scale).
    pub in_channels: usize,
    /// Classes.
    pub classes: usize,
    /// GroupNorm groups (a divisor of `width`).
    pub groups: usize,
}

impl ImageModelConfig {
    /// A grey-scale, ten-class model of the given width.
    pub fn new(width: usize) -> Self {
        Self { width, in_channels: 1, classes: 10, groups: groups_for(width) }
    }

    /// Builds the model on `device` (an autodiff device for training) with parameters drawn
    /// from `ChaCha8Rng::seed_from_u64(seed)`.
    pub fn init(&self, seed: u64, device: &Device) -> ImageModel {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x494d_4147_4500_0000);
        let c = self.width;
        let g = self.groups;
        let mut conv = |cin: usize, stride: usize| conv3x3(cin, c, stride, &mut rng, device);
        let stem = Stem {
            conv1: conv(self.in_channels, 1),
            norm1: gn(g, c, device),
            conv2: conv(c, 2),
            norm2: gn(g, c, device),
            conv3: conv(c, 2),
        };
        let block = ConvField {
            norm1: gn(g, c, device),
            conv1: conv(c + 1, 1),
            norm2: gn(g, c, device),
            conv2: conv(c + 1, 1),
            norm3: gn(g, c, device),
        };
        let head = Head { norm: gn(g, c, device), linear: linear(c, self.classes, &mut rng, device) };
        ImageModel { stem, block, head }
    }
}

fn uniform(n: usize, bound: f64, rng: &mut ChaCha8Rng) -> Vec<f32> {
    (0..n).map(|_| (bound * (2.0 * crate::data::uniform01(rng) - 1.0)) as f32).collect()
}

fn param<const D: usize>(v: Vec<f32>, shape: [usize; D], device: &Device) -> Param<Tensor<D>> {
    // f32 data becomes f64 on a device configured for f64 (burn-0.22 note, item 1).
    Param::from_tensor(Tensor::from_data(TensorData::new(v, shape), device))
}

fn conv3x3(cin: usize, cout: usize, stride: usize, rng: &mut ChaCha8Rng, device: &Device) -> Conv2d {
    let mut m = Conv2dConfig::new([cin, cout], [3, 3])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device);
    let bound = 1.0 / ((cin * 9) as f64).sqrt();
    m.weight = param(uniform(cout * cin * 9, bound, rng), [cout, cin, 3, 3], device);
    m.bias = Some(param(uniform(cout, bound, rng), [cout], device));
    m
}

fn linear(din: usize, dout: usize, rng: &mut ChaCha8Rng, device: &Device) -> Linear {
    let mut m = LinearConfig::new(din, dout).init(device);
    let bound = 1.0 / (din as f64).sqrt();
    m.weight = param(uniform(din * dout, bound, rng), [din, dout], device);
    m.bias = Some(param(uniform(dout, bound, rng), [dout], device));
    m
}

fn gn(groups: usize, channels: usize, device: &Device) -> GroupNorm {
    GroupNormConfig::new(groups, channels).init(device)
}

/// The downsampling stem: `[B, 1, 28, 28] → [B, C, 7, 7]`.
#[derive(Module, Debug)]
pub struct Stem {
    /// 3×3, stride 1.
    pub conv1: Conv2d,
    /// GroupNorm after `conv1`.
    pub norm1: GroupNorm,
    /// 3×3, stride 2.
    pub conv2: Conv2d,
    /// GroupNorm after `conv2`.
    pub norm2: GroupNorm,
    /// 3×3, stride 2.
    pub conv3: Conv2d,
}

impl Stem {
    /// `[B, 1, H, W] → [B, C, H/4, W/4]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = relu(self.norm1.forward(self.conv1.forward(x)));
        let h = relu(self.norm2.forward(self.conv2.forward(h)));
        self.conv3.forward(h)
    }
}

/// Appends the time `t` as a constant channel: `[B, C, H, W] → [B, C+1, H, W]`.
fn with_time(h: Tensor<4>, t: f64) -> Tensor<4> {
    let [b, _, hh, ww] = h.dims();
    let tc = Tensor::<4>::full([b, 1, hh, ww], t, (&h.device(), h.dtype()));
    Tensor::cat(vec![h, tc], 1)
}

/// The FDE block's field `f(t, h; θ)` on `[B, C, H, W]` (ODE-Net's `ODEfunc`):
/// `GN → ReLU → conv3×3([h, t]) → GN → ReLU → conv3×3([h, t]) → GN`.
#[derive(Module, Debug)]
pub struct ConvField {
    /// GroupNorm of the input state.
    pub norm1: GroupNorm,
    /// 3×3 conv, `C + 1 → C` (the extra channel is `t`).
    pub conv1: Conv2d,
    /// GroupNorm after `conv1`.
    pub norm2: GroupNorm,
    /// 3×3 conv, `C + 1 → C`.
    pub conv2: Conv2d,
    /// GroupNorm of the output.
    pub norm3: GroupNorm,
}

impl VectorField<4> for ConvField {
    fn eval(&self, t: f64, h: Tensor<4>) -> Tensor<4> {
        let z = relu(self.norm1.forward(h));
        let z = self.conv1.forward(with_time(z, t));
        let z = relu(self.norm2.forward(z));
        let z = self.conv2.forward(with_time(z, t));
        self.norm3.forward(z)
    }
}

/// The head: `GN → ReLU → global average pool → linear`.
#[derive(Module, Debug)]
pub struct Head {
    /// GroupNorm of the block's output.
    pub norm: GroupNorm,
    /// `C → classes`.
    pub linear: Linear,
}

impl Head {
    /// `[B, C, H, W] → [B, classes]` (logits).
    pub fn forward(&self, h: Tensor<4>) -> Tensor<2> {
        let [b, c, hh, ww] = h.dims();
        let z = relu(self.norm.forward(h)).reshape([b, c, hh * ww]);
        // Mean over pixels as a sum times the reciprocal: Burn 0.22's `div_scalar` backward
        // rounds through f32, which the f64 gradient test would see.
        let pooled = z.sum_dim(2).mul_scalar(1.0 / (hh * ww) as f64).reshape([b, c]);
        self.linear.forward(pooled)
    }
}

/// The whole classifier. Its forward pass is not a method here: the FDE block needs the
/// solver settings and, for training, a gradient method (see [`super::step`]).
#[derive(Module, Debug)]
pub struct ImageModel {
    /// Downsampling stem.
    pub stem: Stem,
    /// The FDE block's field.
    pub block: ConvField,
    /// Classifier head.
    pub head: Head,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_divide_the_width_and_are_at_most_eight() {
        for (w, g) in [(1, 1), (4, 4), (16, 8), (24, 8), (64, 8), (12, 6), (10, 5), (7, 7), (11, 1)] {
            assert_eq!(groups_for(w), g, "width {w}");
        }
    }

    #[test]
    fn models_built_with_the_same_seed_are_identical() {
        // The process-wide f64 test device: a second configuration of the shared flex device
        // in another dtype would change what the other unit tests of this binary compute in.
        let dev = caputo::testkit::f64_device();
        let a = ImageModelConfig::new(4).init(7, &dev);
        let b = ImageModelConfig::new(4).init(7, &dev);
        let c = ImageModelConfig::new(4).init(8, &dev);
        let w = |m: &ImageModel| caputo::tensor::to_vec(m.block.conv1.weight.val());
        assert_eq!(w(&a), w(&b));
        assert_ne!(w(&a), w(&c));
    }
}
