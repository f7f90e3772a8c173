//! Memory scaling, measured with a counting allocator (its own test binary, one sequential
//! test): ratios, not bytes.

use burn::tensor::Tensor;
use caputo::fde::{FdeSolve, History, Scheme};
use caputo::grad::fde_forward;
use caputo::grad::{Method, ode_forward};
use caputo::nn::MlpField;
use caputo::ode::{ButcherTableau, StepControl};
use caputo::tensor::from_vec;
use caputo::testkit::{CountingAllocator, f64_device};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator::new();

/// Peak bytes above the baseline during forward + backward.
fn peak(run: impl FnOnce()) -> usize {
    let base = ALLOC.reset_peak();
    run();
    ALLOC.peak() - base
}

fn ode_peak(field: &MlpField, n: usize, m: &Method) -> usize {
    let dev = f64_device().inner();
    peak(|| {
        let y0 = from_vec(vec![1.0, 0.5], [2], &dev);
        let (sol, pb) =
            ode_forward(field, y0, &[0.0, 10.0], &ButcherTableau::rk4(), &StepControl::fixed(n), m).unwrap();
        let g: Vec<Tensor<1>> = sol.y.iter().map(|y| y.clone().mul_scalar(2.0)).collect();
        pb.backward(&g).unwrap();
    })
}

fn fde_peak(field: &MlpField, n: usize, m: &Method) -> usize {
    fde_peak_with(field, n, m, History::Dense)
}

fn fde_peak_with(field: &MlpField, n: usize, m: &Method, history: History) -> usize {
    let dev = f64_device().inner();
    peak(|| {
        let y0 = from_vec(vec![1.0, 0.5], [2], &dev);
        let (sol, pb) = fde_forward(
            field,
            y0,
            &FdeSolve::new(0.6, &[0.0, 10.0], n).with_scheme(Scheme::Predictor).with_history(history),
            m,
        )
        .unwrap();
        let g: Vec<Tensor<1>> = sol.y.iter().map(|y| y.clone().mul_scalar(2.0)).collect();
        pb.backward(&g).unwrap();
    })
}

#[test]
fn memory_scales_as_each_method_claims() {
    let dev = f64_device();
    dev.seed(0);
    let field = MlpField::new(&[2, 64, 64, 2], &dev);
    // Warm up lazily allocated state (thread pools, caches) outside the measured windows.
    ode_peak(&field, 10, &Method::Direct);
    fde_peak(&field, 10, &Method::DiscreteAdjoint);
    let n = 100;
    let mut report = String::new();
    let mut ratio = |name: &str, f: &dyn Fn(usize) -> usize| {
        let (a, b) = (f(n), f(4 * n));
        report += &format!(
            "{name}: peak(N={n}) = {a} B, peak(4N) = {b} B, ratio {:.2}, per extra step {:.0} B\n",
            b as f64 / a as f64,
            (b - a) as f64 / (3 * n) as f64
        );
        (a, b)
    };
    let direct = ratio("ode direct", &|n| ode_peak(&field, n, &Method::Direct));
    let sympl = ratio("ode symplectic", &|n| ode_peak(&field, n, &Method::SymplecticAdjoint));
    let cont = ratio("ode continuous", &|n| ode_peak(&field, n, &Method::ContinuousAdjoint { rtol: 1e-6, atol: 1e-8 }));
    let fdirect = ratio("fde direct", &|n| fde_peak(&field, n, &Method::Direct));
    let fadj = ratio("fde discrete adjoint", &|n| fde_peak(&field, n, &Method::DiscreteAdjoint));
    println!("{report}");
    // Direct keeps every step's activations: ~4× for 4× the steps.
    assert!(direct.1 as f64 > 3.0 * direct.0 as f64, "{report}");
    assert!(fdirect.1 as f64 > 3.0 * fdirect.0 as f64, "{report}");
    // The continuous adjoint keeps outputs only: flat in N.
    assert!((cont.1 as f64) < 1.3 * cont.0 as f64, "{report}");
    // Stored states only: the growth per step is a small multiple of a state, far below what
    // Direct adds per step (a network's activations).
    let per = |p: (usize, usize)| (p.1 - p.0) as f64 / (3 * n) as f64;
    assert!(per(sympl) < per(direct) / 10.0, "{report}");
    assert!(per(fadj) < per(fdirect) / 10.0, "{report}");

    // Fast history: the discrete adjoint still stores N states; checkpointing the compressed
    // state (modes + window) at S ∝ √N snapshots and replaying N/S steps at a time grows like √N.
    let fast = History::Fast { tol: 1e-8 };
    let (n1, n2) = (500, 8000);
    let segments = |n: usize| caputo::fde::fast::checkpoint_segments(0.6, n, 1e-8, 0);
    let mut report = String::new();
    let mut pair = |name: &str, f: &dyn Fn(usize) -> usize| {
        let (a, b) = (f(n1), f(n2));
        report += &format!("{name}: peak(N={n1}) = {a} B, peak(N={n2}) = {b} B, ratio {:.2}\n", b as f64 / a as f64);
        (a, b)
    };
    let adj = pair("fast discrete adjoint", &|n| fde_peak_with(&field, n, &Method::DiscreteAdjoint, fast));
    let ck = pair("fast checkpointed (checkpoint_segments)", &|n| {
        fde_peak_with(&field, n, &Method::Checkpointed { segments: segments(n) }, fast)
    });
    println!("{report}");
    // 16× the steps: stored states ~16× (≥ 8, with the fixed part); √N snapshots and
    // segments ~4× (≤ 6).
    assert!(adj.1 as f64 > 8.0 * adj.0 as f64, "{report}");
    assert!((ck.1 as f64) < 6.0 * ck.0 as f64, "{report}");
    assert!((ck.1 as f64) < 0.25 * adj.1 as f64, "{report}");
}
