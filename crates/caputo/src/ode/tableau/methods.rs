//! The built-in tableaus: one constructor each, and the registry that lists them.
//!
//! A new method is one constructor here, one line in [`registry`] and its name in [`NAMES`]
//! (the unit test `registry_tableaus_are_valid` fails until the two agree); [`by_name`] and
//! every registry-driven test pick it up from the registry.

use super::{ButcherTableau, DenseOutput};
use crate::error::Error;

/// The names of the tableaus of [`registry`], in its order, as a constant (the names
/// [`by_name`] accepts). [`by_name`] and its error read the registry itself; the unit test
/// `registry_tableaus_are_valid` keeps this copy equal to it.
pub const NAMES: [&str; 10] =
    ["euler", "midpoint", "heun", "rk4", "rk38", "bosh3", "fehlberg2", "dopri5", "tsit5", "dopri8"];

impl ButcherTableau {
    /// Builds a built-in tableau whose coefficients are known to be valid.
    fn builtin(
        name: &str,
        a: Vec<Vec<f64>>,
        b: Vec<f64>,
        c: Vec<f64>,
        b_embedded: Option<Vec<f64>>,
        order: u32,
        embedded_order: Option<u32>,
    ) -> Self {
        match Self::try_new(name, a, b, c, b_embedded, order, embedded_order) {
            Ok(t) => t,
            Err(e) => panic!("built-in tableau failed validation: {e}"),
        }
    }

    /// Explicit (forward) Euler, order 1, one stage.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// let tab = ButcherTableau::euler();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (1, 1, false, None));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn euler() -> Self {
        Self::builtin("euler", vec![vec![]], vec![1.0], vec![0.0], None, 1, None)
    }

    /// Explicit midpoint rule, order 2, two stages.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// let tab = ButcherTableau::midpoint();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (2, 2, false, None));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn midpoint() -> Self {
        Self::builtin("midpoint", vec![vec![], vec![0.5]], vec![0.0, 1.0], vec![0.0, 0.5], None, 2, None)
    }

    /// Heun's method (explicit trapezoidal rule), order 2, with embedded
    /// forward Euler (order 1) for error estimation.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// let tab = ButcherTableau::heun();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (2, 2, false, Some(1)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn heun() -> Self {
        Self::builtin("heun", vec![vec![], vec![1.0]], vec![0.5, 0.5], vec![0.0, 1.0], Some(vec![1.0, 0.0]), 2, Some(1))
    }

    /// The classical fourth-order Runge–Kutta method.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// let tab = ButcherTableau::rk4();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (4, 4, false, None));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn rk4() -> Self {
        Self::builtin(
            "rk4",
            vec![vec![], vec![0.5], vec![0.0, 0.5], vec![0.0, 0.0, 1.0]],
            vec![1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
            vec![0.0, 0.5, 0.5, 1.0],
            None,
            4,
            None,
        )
    }

    /// Kutta's 3/8 rule, order 4.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// let tab = ButcherTableau::rk38();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (4, 4, false, None));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn rk38() -> Self {
        Self::builtin(
            "rk38",
            vec![vec![], vec![1.0 / 3.0], vec![-1.0 / 3.0, 1.0], vec![1.0, -1.0, 1.0]],
            vec![1.0 / 8.0, 3.0 / 8.0, 3.0 / 8.0, 1.0 / 8.0],
            vec![0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0],
            None,
            4,
            None,
        )
    }

    /// Bogacki–Shampine 3(2) pair (FSAL, four stages): order 3 propagated,
    /// order 2 embedded.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// let tab = ButcherTableau::bosh3();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (3, 4, true, Some(2)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn bosh3() -> Self {
        Self::builtin(
            "bosh3",
            vec![vec![], vec![1.0 / 2.0], vec![0.0, 3.0 / 4.0], vec![2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0]],
            vec![2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0, 0.0],
            vec![0.0, 1.0 / 2.0, 3.0 / 4.0, 1.0],
            Some(vec![7.0 / 24.0, 1.0 / 4.0, 1.0 / 3.0, 1.0 / 8.0]),
            3,
            Some(2),
        )
    }

    /// Fehlberg's RK1(2) pair (three stages): the order-2 weights
    /// `[1/512, 255/256, 1/512]` are propagated and the order-1 weights
    /// `[1/256, 255/256, 0]` are embedded (as diffrax `Fehlberg2`). Not FSAL:
    /// the last row of `a` equals the *embedded* weights.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// let tab = ButcherTableau::fehlberg2();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (2, 3, false, Some(1)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn fehlberg2() -> Self {
        Self::builtin(
            "fehlberg2",
            vec![vec![], vec![1.0 / 2.0], vec![1.0 / 256.0, 255.0 / 256.0]],
            vec![1.0 / 512.0, 255.0 / 256.0, 1.0 / 512.0],
            vec![0.0, 1.0 / 2.0, 1.0],
            Some(vec![1.0 / 256.0, 255.0 / 256.0, 0.0]),
            2,
            Some(1),
        )
    }

    /// Dormand–Prince 5(4) (FSAL, seven stages): order 5 propagated, order 4
    /// embedded, with Shampine's fourth-order continuous extension.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// let tab = ButcherTableau::dopri5();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (5, 7, true, Some(4)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn dopri5() -> Self {
        let b = vec![35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0, 0.0];
        let mut t = Self::builtin(
            "dopri5",
            vec![
                vec![],
                vec![1.0 / 5.0],
                vec![3.0 / 40.0, 9.0 / 40.0],
                vec![44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
                vec![19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0],
                vec![9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0],
                b[..6].to_vec(),
            ],
            b.clone(),
            vec![0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0],
            Some(vec![
                5179.0 / 57600.0,
                0.0,
                7571.0 / 16695.0,
                393.0 / 640.0,
                -92097.0 / 339200.0,
                187.0 / 2100.0,
                1.0 / 40.0,
            ]),
            5,
            Some(4),
        );
        // Shampine (1986) dense output as in Hairer's DOPRI5 (CONTD5):
        //   y(θ) = y0 + θ(r2 + (1−θ)(r3 + θ(r4 + (1−θ) r5)))
        // with r2 = hΣb_i k_i, r3 = h k_1 − r2, r4 = r2 − h k_7 − r3 and
        // r5 = h Σ d_i k_i. Expanded in powers of θ this gives, per stage,
        //   θ:  e1,  θ²: 3b − 2e1 − e7 + d,  θ³: e1 + e7 − 2b − 2d,  θ⁴: d,
        // where e1, e7 select stages 1 and 7.
        let d = [
            -12715105075.0 / 11282082432.0,
            0.0,
            87487479700.0 / 32700410799.0,
            -10690763975.0 / 1880347072.0,
            701980252875.0 / 199316789632.0,
            -1453857185.0 / 822651844.0,
            69997945.0 / 29380423.0,
        ];
        let poly = (0..7)
            .map(|i| {
                let e1 = if i == 0 { 1.0 } else { 0.0 };
                let e7 = if i == 6 { 1.0 } else { 0.0 };
                vec![e1, 3.0 * b[i] - 2.0 * e1 - e7 + d[i], e1 + e7 - 2.0 * b[i] - 2.0 * d[i], d[i]]
            })
            .collect();
        t.dense = Some(DenseOutput::Polynomial(poly));
        t
    }

    /// Tsitouras 5(4) (FSAL, seven stages): order 5 propagated, order 4
    /// embedded.
    #[allow(clippy::excessive_precision)]
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// let tab = ButcherTableau::tsit5();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (5, 7, true, Some(4)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn tsit5() -> Self {
        let b = vec![
            0.09646076681806523,
            0.01,
            0.4798896504144996,
            1.379008574103742,
            -3.290069515436081,
            2.324710524099774,
            0.0,
        ];
        // b̃ = b̂ − b as tabulated in OrdinaryDiffEq.jl (btilde).
        let b_tilde = [
            -0.00178001105222577714,
            -0.0008164344596567469,
            0.007880878010261995,
            -0.1447110071732629,
            0.5823571654525552,
            -0.45808210592918697,
            1.0 / 66.0,
        ];
        let b_hat = b.iter().zip(&b_tilde).map(|(b, bt)| b + bt).collect();
        Self::builtin(
            "tsit5",
            vec![
                vec![],
                vec![0.161],
                vec![-0.008480655492356989, 0.335480655492357],
                vec![2.8971530571054935, -6.359448489975075, 4.3622954328695815],
                vec![5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
                vec![
                    5.86145544294642,
                    -12.92096931784711,
                    8.159367898576159,
                    -0.071584973281401,
                    -0.028269050394068383,
                ],
                b[..6].to_vec(),
            ],
            b.clone(),
            vec![0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0],
            Some(b_hat),
            5,
            Some(4),
        )
    }

    /// Dormand–Prince 8(5,3), Hairer's "DOP853" (12 stages): order 8
    /// propagated, with the order-5 embedded weights `b̂ = b − E5`. Not FSAL
    /// in this 12-stage form (`f(t_{n+1}, y_{n+1})` is not a stage).
    // Literals are copied verbatim from DOP853, beyond f64 precision.
    #[allow(clippy::excessive_precision)]
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// let tab = ButcherTableau::dopri8();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (8, 12, false, Some(5)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn dopri8() -> Self {
        let c = vec![
            0.0,
            0.526001519587677318785587544488e-01,
            0.789002279381515978178381316732e-01,
            0.118350341907227396726757197510,
            0.281649658092772603273242802490,
            0.333333333333333333333333333333,
            0.25,
            0.307692307692307692307692307692,
            0.651282051282051282051282051282,
            0.6,
            0.857142857142857142857142857142,
            1.0,
        ];
        let a = vec![
            vec![],
            vec![5.26001519587677318785587544488e-2],
            vec![1.97250569845378994544595329183e-2, 5.91751709536136983633785987549e-2],
            vec![2.95875854768068491816892993775e-2, 0.0, 8.87627564304205475450678981324e-2],
            vec![
                2.41365134159266685502369798665e-1,
                0.0,
                -8.84549479328286085344864962717e-1,
                9.24834003261792003115737966543e-1,
            ],
            vec![
                3.7037037037037037037037037037e-2,
                0.0,
                0.0,
                1.70828608729473871279604482173e-1,
                1.25467687566822425016691814123e-1,
            ],
            vec![
                3.7109375e-2,
                0.0,
                0.0,
                1.70252211019544039314978060272e-1,
                6.02165389804559606850219397283e-2,
                -1.7578125e-2,
            ],
            vec![
                3.70920001185047927108779319836e-2,
                0.0,
                0.0,
                1.70383925712239993810214054705e-1,
                1.07262030446373284651809199168e-1,
                -1.53194377486244017527936158236e-2,
                8.27378916381402288758473766002e-3,
            ],
            vec![
                6.24110958716075717114429577812e-1,
                0.0,
                0.0,
                -3.36089262944694129406857109825,
                -8.68219346841726006818189891453e-1,
                2.75920996994467083049415600797e1,
                2.01540675504778934086186788979e1,
                -4.34898841810699588477366255144e1,
            ],
            vec![
                4.77662536438264365890433908527e-1,
                0.0,
                0.0,
                -2.48811461997166764192642586468,
                -5.90290826836842996371446475743e-1,
                2.12300514481811942347288949897e1,
                1.52792336328824235832596922938e1,
                -3.32882109689848629194453265587e1,
                -2.03312017085086261358222928593e-2,
            ],
            vec![
                -9.3714243008598732571704021658e-1,
                0.0,
                0.0,
                5.18637242884406370830023853209,
                1.09143734899672957818500254654,
                -8.14978701074692612513997267357,
                -1.85200656599969598641566180701e1,
                2.27394870993505042818970056734e1,
                2.49360555267965238987089396762,
                -3.0467644718982195003823669022,
            ],
            vec![
                2.27331014751653820792359768449,
                0.0,
                0.0,
                -1.05344954667372501984066689879e1,
                -2.00087205822486249909675718444,
                -1.79589318631187989172765950534e1,
                2.79488845294199600508499808837e1,
                -2.85899827713502369474065508674,
                -8.87285693353062954433549289258,
                1.23605671757943030647266201528e1,
                6.43392746015763530355970484046e-1,
            ],
        ];
        let b = vec![
            5.42937341165687622380535766363e-2,
            0.0,
            0.0,
            0.0,
            0.0,
            4.45031289275240888144113950566,
            1.89151789931450038304281599044,
            -5.8012039600105847814672114227,
            3.1116436695781989440891606237e-1,
            -1.52160949662516078556178806805e-1,
            2.01365400804030348374776537501e-1,
            4.47106157277725905176885569043e-2,
        ];
        // E5 = b − b̂ (DOP853 er1, er6..er12).
        let e5 = [
            0.1312004499419488073250102996e-01,
            0.0,
            0.0,
            0.0,
            0.0,
            -0.1225156446376204440720569753e+01,
            -0.4957589496572501915214079952e+00,
            0.1664377182454986536961530415e+01,
            -0.3503288487499736816886487290e+00,
            0.3341791187130174790297318841e+00,
            0.8192320648511571246570742613e-01,
            -0.2235530786388629525884427845e-01,
        ];
        let b_hat = b.iter().zip(&e5).map(|(b, e)| b - e).collect();
        Self::builtin("dopri8", a, b, c, Some(b_hat), 8, Some(5))
    }
}

/// All built-in tableaus, in the order of [`NAMES`]: `euler`, `midpoint`,
/// `heun`, `rk4`, `rk38`, `bosh3`, `fehlberg2`, `dopri5`, `tsit5`, `dopri8`. The one list
/// of built-in methods: [`by_name`] searches it.
///
/// # Example
/// ```
/// use caputo::ode::tableau::{registry, NAMES};
/// let reg = registry();
/// assert!(reg.iter().map(|t| t.name()).eq(NAMES));
/// // The adaptive-capable ones are those with embedded weights.
/// let adaptive: Vec<_> = reg.iter().filter(|t| t.b_embedded().is_some()).map(|t| t.name()).collect();
/// assert_eq!(adaptive, ["heun", "bosh3", "fehlberg2", "dopri5", "tsit5", "dopri8"]);
/// ```
pub fn registry() -> Vec<ButcherTableau> {
    vec![
        ButcherTableau::euler(),
        ButcherTableau::midpoint(),
        ButcherTableau::heun(),
        ButcherTableau::rk4(),
        ButcherTableau::rk38(),
        ButcherTableau::bosh3(),
        ButcherTableau::fehlberg2(),
        ButcherTableau::dopri5(),
        ButcherTableau::tsit5(),
        ButcherTableau::dopri8(),
    ]
}

/// Looks up a tableau of [`registry`] by name (ASCII case-insensitive; see [`NAMES`]).
///
/// # Errors
/// [`Error::UnknownScheme`] listing the names of [`registry`].
///
/// # Example
/// ```
/// use caputo::ode::tableau::by_name;
/// assert_eq!(by_name("DoPri5").unwrap().order(), 5);
/// assert!(matches!(by_name("abm"), Err(caputo::Error::UnknownScheme { .. })));
/// ```
pub fn by_name(name: &str) -> Result<ButcherTableau, Error> {
    let mut all = registry();
    match all.iter().position(|t| t.name().eq_ignore_ascii_case(name)) {
        Some(i) => Ok(all.swap_remove(i)),
        None => Err(Error::UnknownScheme {
            name: name.to_string(),
            known: all.iter().map(|t| t.name().to_string()).collect(),
        }),
    }
}
