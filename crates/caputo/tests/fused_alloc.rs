//! The fused MLP kernel allocates nothing per call after its first (warm-up) call when its
//! products are small enough for its own loops (≤ 1024 multiply–adds each: a single `lv-mlp`
//! state, small batches): its workspaces are kept and reused (counting allocator; the count of
//! allocations, not bytes or time). Larger products go through `gemm`, which allocates its
//! packing buffers on every call — measured here too, so a change in either shows. What the
//! solver engines around the kernel allocate per step (Burn tensors for the state arithmetic)
//! is not covered by this claim.

use caputo::field::{FusedField, VectorField, VjpOut};
use caputo::nn::MlpField;
use caputo::testkit::{CountingAllocator, f64_device};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator::new();

/// Allocations in 100 calls (an eval and two VJPs each) after a warm-up call.
fn allocations_after_warm_up<const D: usize>(widths: &[usize], shape: [usize; D]) -> usize
where
    MlpField: VectorField<D>,
{
    let field = MlpField::new(widths, &f64_device());
    let Some(FusedField::F64(mut k)) = VectorField::<D>::fused(&field) else { panic!("an f64 kernel") };
    let n: usize = shape.iter().product();
    let y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
    let (mut f, mut a_dfdy) = (vec![0.0; n], vec![0.0; n]);
    let mut theta_bar = vec![0.0; k.layout().len()];
    let mut call = |k: &mut Box<dyn caputo::field::FusedKernel<D, f64>>| {
        k.eval(0.0, shape, &y, &mut f);
        let out = VjpOut { f: Some(&mut f), a_dfdy: &mut a_dfdy, theta_bar: &mut theta_bar };
        k.vjp(0.0, shape, &y, &a, out);
        k.vjp(0.0, shape, &y, &a, VjpOut { f: None, a_dfdy: &mut a_dfdy, theta_bar: &mut theta_bar });
    };
    call(&mut k); // warm-up: the workspaces are sized here
    let before = ALLOC.allocations();
    for _ in 0..100 {
        call(&mut k);
    }
    ALLOC.allocations() - before
}

#[test]
fn fused_mlp_kernel_allocates_nothing_per_call_after_warm_up() {
    // lv-mlp's single state and a small batch: the kernel's own loops, no allocation.
    assert_eq!(allocations_after_warm_up(&[2, 64, 64, 2], [2]), 0);
    assert_eq!(allocations_after_warm_up(&[8, 32, 8], [4, 8]), 0);
    // A batch whose products go through gemm: its packing buffers are allocated per call
    // (a known limit, not yet removed); bounded by a few per product.
    let n = allocations_after_warm_up(&[2, 64, 64, 2], [16, 2]);
    assert!(n > 0 && n <= 100 * 3 * 3 * 4, "{n} allocations in 100 calls");
}
