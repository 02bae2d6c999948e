//! Tests of `qcs_core::gauss` against mpmath golden values
//! (`tests/reference/gauss_golden.py` → `tests/data/gauss_*.csv`) and special cases.

use qcs_core::gauss::{
    erfcx, log_ndtr, ndtr, truncated_normal_mean, truncated_normal_mean_block, upper_tail_mean,
    LANES,
};

/// Required relative accuracy (the module's target).
const REL_TOL: f64 = 1e-5;
/// Required absolute accuracy where the true value is near 0 (below `REL_FLOOR`).
const ABS_TOL: f64 = 1e-7;
/// True values below this magnitude (2⁻¹⁰⁰) are checked absolutely: only there do subnormal
/// intermediates occur.
const REL_FLOOR: f64 = 7.888_609_052_210_118e-31;

const ERFCX_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/gauss_erfcx.csv"
));
const LOG_NDTR_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/gauss_log_ndtr.csv"
));
const TMEAN_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/gauss_truncated_mean.csv"
));

/// Rows of a golden CSV (header skipped), each split into fields.
fn rows(csv: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').collect())
}

fn parse32(s: &str) -> f32 {
    s.trim()
        .parse::<f32>()
        .unwrap_or_else(|_| panic!("bad f32 field {s:?}"))
}

fn parse64(s: &str) -> f64 {
    s.trim()
        .parse::<f64>()
        .unwrap_or_else(|_| panic!("bad f64 field {s:?}"))
}

/// Accumulates the worst errors of one function over a golden table.
struct Tally {
    name: &'static str,
    rows: usize,
    worst_rel: f64,
    worst_rel_at: String,
    worst_abs_small: f64,
    failures: Vec<String>,
}

impl Tally {
    fn new(name: &'static str) -> Self {
        Tally {
            name,
            rows: 0,
            worst_rel: 0.0,
            worst_rel_at: String::new(),
            worst_abs_small: 0.0,
            failures: Vec::new(),
        }
    }

    fn check(&mut self, got: f32, want: f64, at: &str) {
        self.rows += 1;
        let g = f64::from(got);
        let ok = if want.abs() > f64::from(f32::MAX) {
            // The true value is beyond the f32 range: overflow to ±∞ is the right answer.
            g.is_infinite() && g.signum() == want.signum()
        } else if want.abs() >= REL_FLOOR {
            let rel = if g.is_finite() {
                (g - want).abs() / want.abs()
            } else {
                f64::INFINITY
            };
            if rel > self.worst_rel {
                self.worst_rel = rel;
                self.worst_rel_at = format!("{at}: got {got:e}, want {want:e}");
            }
            rel <= REL_TOL
        } else {
            let abs = (g - want).abs();
            if abs > self.worst_abs_small || !abs.is_finite() {
                self.worst_abs_small = abs;
            }
            abs <= ABS_TOL
        };
        if !ok {
            self.failures
                .push(format!("{at}: got {got:e}, want {want:e}"));
        }
    }

    fn finish(self) {
        println!(
            "{}: {} rows, max rel err {:.3e} ({:.2} ulp of 2^-24) at {}; max abs err where |true| < 2^-100: {:.3e}",
            self.name,
            self.rows,
            self.worst_rel,
            self.worst_rel / f64::from(f32::EPSILON / 2.0),
            self.worst_rel_at,
            self.worst_abs_small
        );
        assert!(
            self.failures.is_empty(),
            "{}: {} of {} rows out of tolerance, e.g. {:?}",
            self.name,
            self.failures.len(),
            self.rows,
            &self.failures[..self.failures.len().min(10)]
        );
    }
}

#[test]
fn erfcx_matches_mpmath() {
    let mut t = Tally::new("erfcx");
    for r in rows(ERFCX_CSV) {
        let x = parse32(r[0]);
        t.check(erfcx(x), parse64(r[1]), &format!("x = {x:e}"));
    }
    assert!(t.rows > 1000);
    t.finish();
}

#[test]
fn log_ndtr_and_ndtr_match_mpmath() {
    let mut tl = Tally::new("log_ndtr");
    let mut tn = Tally::new("ndtr");
    for r in rows(LOG_NDTR_CSV) {
        let x = parse32(r[0]);
        tl.check(log_ndtr(x), parse64(r[1]), &format!("x = {x:e}"));
        tn.check(ndtr(x), parse64(r[2]), &format!("x = {x:e}"));
    }
    assert!(tl.rows > 1000);
    tl.finish();
    tn.finish();
}

#[test]
fn truncated_mean_matches_mpmath() {
    let mut t = Tally::new("truncated_normal_mean");
    let mut tu = Tally::new("upper_tail_mean");
    for r in rows(TMEAN_CSV) {
        let (a, b, want) = (parse32(r[0]), parse32(r[1]), parse64(r[2]));
        let at = format!("(a, b) = ({a:e}, {b:e})");
        t.check(truncated_normal_mean(a, b), want, &at);
        t.check(truncated_normal_mean(b, a), want, &at);
        if b == f32::INFINITY {
            tu.check(upper_tail_mean(a), want, &at);
        }
        if a == f32::NEG_INFINITY {
            tu.check(-upper_tail_mean(-b), want, &at);
        }
    }
    assert!(t.rows > 4000 && tu.rows > 200);
    t.finish();
    tu.finish();
}

#[test]
fn special_values() {
    let inf = f32::INFINITY;
    assert_eq!(erfcx(0.0), 1.0);
    assert_eq!(erfcx(-0.0), 1.0);
    assert_eq!(erfcx(inf), 0.0);
    assert_eq!(erfcx(-inf), inf);
    assert!(erfcx(f32::NAN).is_nan());
    // erfcx(x) > f32::MAX exactly for x < −9.38241…
    assert!(erfcx(-9.3823).is_finite());
    assert_eq!(erfcx(-9.3826), inf);
    assert_eq!(erfcx(-1e30), inf);
    assert!(erfcx(f32::MAX) > 0.0);

    assert_eq!(ndtr(0.0), 0.5);
    assert_eq!(ndtr(inf), 1.0);
    assert_eq!(ndtr(-inf), 0.0);
    assert!(ndtr(f32::NAN).is_nan());

    assert!((log_ndtr(0.0) + core::f32::consts::LN_2).abs() <= 6e-8);
    assert_eq!(log_ndtr(inf), 0.0);
    assert_eq!(log_ndtr(-inf), -inf);
    assert_eq!(log_ndtr(-3e19), -inf);
    assert!(log_ndtr(-2.5e19).is_finite());
    assert!(log_ndtr(f32::NAN).is_nan());

    assert_eq!(upper_tail_mean(-inf), 0.0);
    assert_eq!(upper_tail_mean(inf), inf);
    assert!((upper_tail_mean(0.0) - 0.797_884_6).abs() <= 1e-7);
    assert_eq!(upper_tail_mean(f32::MAX), f32::MAX);
    assert!(upper_tail_mean(f32::NAN).is_nan());
}

#[test]
fn truncated_mean_special_cases() {
    let inf = f32::INFINITY;
    let nan = f32::NAN;
    assert_eq!(truncated_normal_mean(-inf, inf), 0.0);
    assert_eq!(truncated_normal_mean(inf, -inf), 0.0);
    assert_eq!(truncated_normal_mean(inf, inf), inf);
    assert_eq!(truncated_normal_mean(-inf, -inf), -inf);
    assert!(truncated_normal_mean(nan, 1.0).is_nan());
    assert!(truncated_normal_mean(1.0, nan).is_nan());
    assert!(truncated_normal_mean(nan, inf).is_nan());
    assert!(truncated_normal_mean(nan, nan).is_nan());
    for &a in &[0.0f32, -0.0, 1e-40, -3.5, 7.25, 1e4, -1e30, f32::MAX] {
        assert_eq!(truncated_normal_mean(a, a).to_bits(), a.to_bits());
    }
    for &a in &[-50.0f32, -3.0, -0.5, 0.0, 0.5, 3.0, 50.0, 1e4, 1e7] {
        assert_eq!(truncated_normal_mean(a, inf), upper_tail_mean(a));
        assert_eq!(truncated_normal_mean(inf, a), upper_tail_mean(a));
        assert_eq!(truncated_normal_mean(-inf, -a), -upper_tail_mean(a));
    }
    // Symmetric interval: exactly 0. Deep tails: the near bound plus about 1/|bound|.
    assert_eq!(truncated_normal_mean(-2.0, 2.0), 0.0);
    let m = truncated_normal_mean(-1e4, -9999.0);
    assert!((f64::from(m) + 9999.0 + 1.0 / 9999.0).abs() < 1e-3, "{m}");
    let m = truncated_normal_mean(30.0, 30.5);
    assert!(m > 30.0 && m < 30.0 + 1.0 / 30.0, "{m}");
}

/// Magnitudes from 0 through the subnormals to f32::MAX, both signs.
fn sweep_grid() -> Vec<f32> {
    let mut mags = vec![0.0f32, 1e-45, 1e-42, 1e-40, f32::MIN_POSITIVE, f32::MAX];
    let mut e = -38.0f64;
    while e <= 38.5 {
        mags.push(10f64.powf(e) as f32);
        e += 0.25;
    }
    for k in 1..=60 {
        mags.push(0.5 * k as f32);
    }
    mags.push(9.382);
    mags.push(13.3);
    let mut grid: Vec<f32> = mags.iter().flat_map(|&m| [m, -m]).collect();
    grid.sort_by(|x, y| x.total_cmp(y));
    grid.dedup_by(|x, y| x.to_bits() == y.to_bits());
    grid
}

#[test]
fn sweep_no_nan_or_inf_for_finite_input() {
    let grid = sweep_grid();
    for &x in &grid {
        let ex = erfcx(x);
        assert!(!ex.is_nan() && ex >= 0.0, "erfcx({x:e}) = {ex}");
        if x > -9.382 {
            assert!(ex.is_finite(), "erfcx({x:e}) = {ex}");
        }
        let p = ndtr(x);
        assert!((0.0..=1.0).contains(&p), "ndtr({x:e}) = {p}");
        let lp = log_ndtr(x);
        assert!(!lp.is_nan() && lp <= 0.0, "log_ndtr({x:e}) = {lp}");
        if x > -2.6e19 {
            assert!(lp.is_finite(), "log_ndtr({x:e}) = {lp}");
        }
        let u = upper_tail_mean(x);
        assert!(
            u.is_finite() && u >= x && u >= 0.0,
            "upper_tail_mean({x:e}) = {u}"
        );
    }
    for &a in &grid {
        for &b in &grid {
            let m = truncated_normal_mean(a, b);
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            assert!(
                m.is_finite() && m >= lo && m <= hi,
                "truncated_normal_mean({a:e}, {b:e}) = {m:e}"
            );
            let s = truncated_normal_mean(b, a);
            // Bitwise symmetric, except that (0, −0) returns its first argument.
            assert!(
                m.to_bits() == s.to_bits() || m == s && a == b,
                "swap ({a:e}, {b:e})"
            );
            let r = truncated_normal_mean(-b, -a);
            assert!(r == -m, "reflection ({a:e}, {b:e}): {m:e} vs {r:e}");
        }
    }
}

#[test]
fn erfcx_overflow_edge_is_clean() {
    // Every f32 from −9.30 to −9.45: finite up to the true overflow point, then +∞, never NaN.
    let mut x = -9.30f32;
    let mut seen_inf = false;
    while x > -9.45 {
        let e = erfcx(x);
        assert!(!e.is_nan() && e > 0.0, "erfcx({x}) = {e}");
        if e.is_infinite() {
            seen_inf = true;
        } else {
            assert!(!seen_inf && x > -9.3825, "erfcx({x}) = {e} after overflow");
        }
        x = f32::from_bits(x.to_bits() + 1);
    }
    assert!(seen_inf);
}

#[test]
fn narrow_intervals_approach_the_midpoint_continuously() {
    // Across the narrow-series boundary the mean must not jump: compare consecutive widths.
    for &a in &[-3.0f32, -0.3, 0.0, 0.2, 1.0, 4.0, 40.0] {
        let mut prev = truncated_normal_mean(a, a + 0.2);
        let mut w = 0.2f32;
        while w < 0.3 {
            w += 1e-3;
            let m = truncated_normal_mean(a, a + w);
            assert!((m - prev).abs() <= 1e-3, "a = {a}, w = {w}: {prev} -> {m}");
            prev = m;
        }
    }
}

/// `truncated_normal_mean_block` is `truncated_normal_mean` lane by lane, bit for bit, for
/// every pair of the sweep grid (all algorithms, special values and both argument orders),
/// packed into blocks in two orders: grid order (blocks that share an algorithm) and a
/// fixed pseudo-random permutation (blocks that mix them).
#[test]
fn block_matches_scalar_bitwise() {
    let grid = sweep_grid();
    let mut extra = vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
    extra.extend([
        0.3f32, -0.3, 0.6, 1.2, -2.5, 7.0, 0.249, 0.251, 1e6, 1.1e6, -1e6,
    ]);
    let values: Vec<f32> = grid.iter().chain(&extra).copied().collect();
    let mut pairs: Vec<(f32, f32)> = Vec::new();
    for &a in &values {
        for &b in &values {
            pairs.push((a, b));
        }
    }
    let mut shuffled = pairs.clone();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..shuffled.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        shuffled.swap(i, (state >> 33) as usize % (i + 1));
    }
    let mut blocks = 0usize;
    for list in [&pairs, &shuffled] {
        for chunk in list.chunks_exact(LANES) {
            let a: [f32; LANES] = core::array::from_fn(|k| chunk[k].0);
            let b: [f32; LANES] = core::array::from_fn(|k| chunk[k].1);
            let got = truncated_normal_mean_block(&a, &b);
            for k in 0..LANES {
                let want = truncated_normal_mean(a[k], b[k]);
                assert!(
                    got[k].to_bits() == want.to_bits() || got[k].is_nan() && want.is_nan(),
                    "block lane ({:e}, {:e}): {:e} vs scalar {:e}",
                    a[k],
                    b[k],
                    got[k],
                    want
                );
            }
            blocks += 1;
        }
    }
    assert!(blocks > 100_000);
}

/// The extended check of the algorithm switches (not run by default: its mpmath table is
/// generated on demand, see `gauss_golden.py --switch-check`). Checks the table's intervals
/// in both orders, through the scalar function and through the block kernel.
#[test]
#[ignore = "needs QCS_SWITCH_CSV from gauss_golden.py --switch-check"]
fn switch_check() {
    let path = std::env::var("QCS_SWITCH_CSV").expect("QCS_SWITCH_CSV");
    let text = std::fs::read_to_string(&path).expect("switch table");
    let text: &'static str = Box::leak(text.into_boxed_str());
    let mut t = Tally::new("truncated_normal_mean (switch check)");
    let mut block: Vec<(f32, f32, f64)> = Vec::new();
    for r in rows(text) {
        let (a, b, want) = (parse32(r[0]), parse32(r[1]), parse64(r[2]));
        let at = format!("(a, b) = ({a:e}, {b:e})");
        t.check(truncated_normal_mean(a, b), want, &at);
        t.check(truncated_normal_mean(b, a), want, &at);
        block.push((a, b, want));
    }
    for chunk in block.chunks_exact(LANES) {
        let a: [f32; LANES] = core::array::from_fn(|k| chunk[k].0);
        let b: [f32; LANES] = core::array::from_fn(|k| chunk[k].1);
        for (k, m) in truncated_normal_mean_block(&a, &b).into_iter().enumerate() {
            t.check(m, chunk[k].2, &format!("block ({:e}, {:e})", a[k], b[k]));
        }
    }
    t.finish();
}
