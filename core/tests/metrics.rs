//! Tests of `qcs_core::metrics` against scikit-image golden values
//! (core/tests/reference/metrics_golden.py → core/tests/data/metrics_*.csv).

use qcs_core::metrics::{cosine_similarity, mse, psnr, ssim};
use qcs_core::Error;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// One golden image pair.
struct Pair {
    name: String,
    height: usize,
    width: usize,
    channels: usize,
    a: Vec<f32>,
    b: Vec<f32>,
    psnr: f64,
    ssim: f64,
    cosine: f64,
}

fn reader(file: &str) -> csv::Reader<std::fs::File> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_path(format!("{DATA}/{file}"))
        .expect("open golden file")
}

fn load() -> Vec<Pair> {
    let mut images = Vec::new();
    for rec in reader("metrics_images.csv").records() {
        let rec = rec.expect("csv record");
        let name = rec[0].to_string();
        let which = rec[1].to_string();
        let dims: Vec<usize> = (2..5).map(|i| rec[i].parse().expect("dim")).collect();
        let vals: Vec<f32> = rec
            .iter()
            .skip(5)
            .map(|v| v.parse().expect("value"))
            .collect();
        assert_eq!(vals.len(), dims[0] * dims[1] * dims[2], "{name}");
        images.push((name, which, dims, vals));
    }
    let mut pairs = Vec::new();
    for (i, rec) in reader("metrics_expected.csv").records().enumerate() {
        let rec = rec.expect("csv record");
        if i == 0 {
            assert_eq!(&rec[0], "pair");
            continue;
        }
        let name = rec[0].to_string();
        let find = |w: &str| {
            images
                .iter()
                .find(|(n, which, _, _)| *n == name && which == w)
                .unwrap_or_else(|| panic!("image {name}/{w}"))
        };
        let (_, _, dims, a) = find("a");
        let (_, _, _, b) = find("b");
        let f = |k: usize| -> f64 { rec[k].parse().expect("expected value") };
        assert_eq!(dims[0], rec[1].parse::<usize>().unwrap());
        pairs.push(Pair {
            name: name.clone(),
            height: dims[0],
            width: dims[1],
            channels: dims[2],
            a: a.clone(),
            b: b.clone(),
            psnr: f(4),
            ssim: f(5),
            cosine: f(6),
        });
    }
    assert!(pairs.len() >= 8, "golden pairs missing");
    pairs
}

#[test]
fn golden_ssim_psnr_cosine_match_scikit_image() {
    let mut worst = (0.0f64, 0.0f64, 0.0f64);
    for p in load() {
        let s = ssim(&p.a, &p.b, p.height, p.width, p.channels).unwrap();
        let d = (f64::from(s) - p.ssim).abs();
        assert!(d <= 1e-4, "{}: ssim {s} vs skimage {}", p.name, p.ssim);
        worst.0 = worst.0.max(d);

        let q = psnr(&p.a, &p.b).unwrap();
        if p.psnr.is_infinite() {
            assert_eq!(q, f32::INFINITY, "{}", p.name);
        } else {
            let d = (f64::from(q) - p.psnr).abs();
            assert!(d <= 1e-3, "{}: psnr {q} vs skimage {}", p.name, p.psnr);
            worst.1 = worst.1.max(d);
        }

        let c = cosine_similarity(&p.a, &p.b).unwrap();
        let d = (f64::from(c) - p.cosine).abs();
        assert!(d <= 1e-5, "{}: cosine {c} vs numpy {}", p.name, p.cosine);
        worst.2 = worst.2.max(d);
    }
    println!(
        "worst |Δssim| = {:e}, |Δpsnr| = {:e} dB, |Δcos| = {:e}",
        worst.0, worst.1, worst.2
    );
}

#[test]
fn identical_images() {
    let x: Vec<f32> = (0..64).map(|i| (i as f32) / 63.0).collect();
    assert_eq!(mse(&x, &x).unwrap(), 0.0);
    assert_eq!(psnr(&x, &x).unwrap(), f32::INFINITY);
    assert_eq!(ssim(&x, &x, 8, 8, 1).unwrap(), 1.0);
    assert!((cosine_similarity(&x, &x).unwrap() - 1.0).abs() <= 1e-7);
}

#[test]
fn mse_and_psnr_known_values() {
    // MSE = 0.01 → PSNR = 20 dB.
    let x = [0.0f32; 4];
    let y = [0.1f32; 4];
    assert!((mse(&x, &y).unwrap() - 0.01).abs() < 1e-8);
    assert!((psnr(&x, &y).unwrap() - 20.0).abs() < 1e-5);
    // Orthogonal and opposite vectors.
    assert_eq!(cosine_similarity(&[1.0, 0.0], &[0.0, 1.0]).unwrap(), 0.0);
    assert_eq!(cosine_similarity(&[1.0, 2.0], &[-2.0, -4.0]).unwrap(), -1.0);
}

#[test]
fn metrics_are_symmetric() {
    for p in load() {
        let s1 = ssim(&p.a, &p.b, p.height, p.width, p.channels).unwrap();
        let s2 = ssim(&p.b, &p.a, p.height, p.width, p.channels).unwrap();
        assert!((s1 - s2).abs() <= 1e-6, "{}", p.name);
        assert_eq!(psnr(&p.a, &p.b).unwrap(), psnr(&p.b, &p.a).unwrap());
    }
}

#[test]
fn errors() {
    let x = [0.5f32; 49];
    let short = [0.5f32; 48];
    assert!(matches!(mse(&[], &[]), Err(Error::Empty { field: "x" })));
    assert!(matches!(
        psnr(&x, &short),
        Err(Error::DimensionMismatch { field: "y", .. })
    ));
    let mut bad = x;
    bad[3] = f32::NAN;
    assert_eq!(
        psnr(&x, &bad),
        Err(Error::NonFinite {
            field: "y",
            index: 3
        })
    );
    bad[3] = f32::INFINITY;
    assert_eq!(
        mse(&bad, &x),
        Err(Error::NonFinite {
            field: "x",
            index: 3
        })
    );
    assert!(matches!(
        cosine_similarity(&[0.0; 4], &[1.0; 4]),
        Err(Error::InvalidParameter { field: "x", .. })
    ));
    assert!(matches!(
        cosine_similarity(&[1.0; 4], &[0.0; 4]),
        Err(Error::InvalidParameter { field: "y", .. })
    ));
    // SSIM: sizes below the 7×7 window, zero channels, wrong lengths, overflow, NaN.
    assert!(ssim(&x, &x, 7, 7, 1).is_ok());
    let z = [0.5f32; 42];
    assert!(matches!(
        ssim(&z, &z, 6, 7, 1),
        Err(Error::InvalidParameter {
            field: "height",
            ..
        })
    ));
    assert!(matches!(
        ssim(&z, &z, 7, 6, 1),
        Err(Error::InvalidParameter { field: "width", .. })
    ));
    assert!(matches!(
        ssim(&x, &x, 7, 7, 0),
        Err(Error::Empty { field: "channels" })
    ));
    assert!(matches!(
        ssim(&x, &x, 7, 7, 3),
        Err(Error::DimensionMismatch {
            field: "x",
            expected: 147,
            found: 49
        })
    ));
    assert!(matches!(
        ssim(&x, &short, 7, 7, 1),
        Err(Error::DimensionMismatch { field: "y", .. })
    ));
    assert!(matches!(
        ssim(&x, &x, usize::MAX, 7, 1),
        Err(Error::InvalidParameter {
            field: "height",
            ..
        })
    ));
    bad[3] = f32::NAN;
    assert_eq!(
        ssim(&x, &bad, 7, 7, 1),
        Err(Error::NonFinite {
            field: "y",
            index: 3
        })
    );
}
