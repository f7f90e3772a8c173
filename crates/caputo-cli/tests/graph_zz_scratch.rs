use burn::module::Param;
use caputo_cli::apps::graph::*;
use caputo_cli::apps::graph::model::*;
use caputo_cli::apps::graph::step::*;
use caputo_cli::train::fit::{adam_config};

use rand::SeedableRng;

#[test]
fn scratch() {
    for (label, freeze, scale, kind) in [("zero-init-l", false, 0.0, "grand-l"), ("zero-init-nl", false, 0.0, "grand-nl"), ("rand-init-nl", false, 1.0, "grand-nl")] {
        let args = GraphArgs::from_flags(&["--synthetic", "--model", kind]).unwrap();
        let s = setup(&args).unwrap();
        let mut m = s.config.init(0.8, 0);
        if let Some(a) = m.attention.as_mut() {
            a.wq.weight = Param::from_tensor(a.wq.weight.val().inner().mul_scalar(scale).autodiff());
        }
        let mut opt = adam_config().init();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let mut best = (0.0, 0.0);
        for ep in 0..60 {
            let (mut g, r) = loss_and_grads(&s.problem, &m, Some(&mut rng)).unwrap();
            if freeze { let a = m.attention.as_ref().unwrap(); g.remove::<2>(a.wq.weight.id); g.remove::<2>(a.wk.weight.id); }
            m = opt.step(0.01, m, g);
            let acc = accuracies(&s.problem.data, &predict(&s.problem, &m).unwrap());
            if acc[1] > best.0 { best = (acc[1], acc[2]); }
            if ep % 10 == 9 { eprintln!("{label} ep {ep} loss {:.3} acc {acc:?}", r.loss); }
        }
        eprintln!("{label}: best val {best:?}");
    }
}
