//! The orthonormal 2-D bases `Ψ` of the sparsity baselines: DCT-II and Haar wavelets.

use anyhow::{ensure, Result};

/// An orthonormal 2-D basis `Ψ` of `height × width` images: [`Transform::analysis`] computes the
/// coefficients `c = Ψ x`, [`Transform::synthesis`] the image `x = Ψᵀ c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// The orthonormal 2-D DCT-II (rows, then columns).
    Dct,
    /// The orthonormal 2-D Haar wavelet transform, as many levels as the low-pass block has
    /// even height and width (28 × 28: two levels, down to a 7 × 7 low-pass block).
    Haar,
}

/// An orthonormal 2-D transform for one image size.
#[derive(Debug, Clone)]
pub struct Transform {
    basis: Basis,
    height: usize,
    width: usize,
    /// DCT matrices (row-major `n × n`, row k = k-th basis vector), for `height` and `width`.
    dct_h: Vec<f32>,
    dct_w: Vec<f32>,
}

fn dct_matrix(n: usize) -> Vec<f32> {
    let mut d = vec![0.0f32; n * n];
    for k in 0..n {
        let scale = if k == 0 {
            (1.0 / n as f64).sqrt()
        } else {
            (2.0 / n as f64).sqrt()
        };
        for i in 0..n {
            let v = scale
                * (std::f64::consts::PI * (2 * i + 1) as f64 * k as f64 / (2 * n) as f64).cos();
            d[k * n + i] = v as f32;
        }
    }
    d
}

impl Transform {
    /// The transform of `basis` for `height × width` images.
    pub fn new(basis: Basis, height: usize, width: usize) -> Result<Self> {
        ensure!(
            height >= 1 && width >= 1,
            "a transform needs a non-empty image, got {height} × {width}"
        );
        let (dct_h, dct_w) = match basis {
            Basis::Dct => (dct_matrix(height), dct_matrix(width)),
            Basis::Haar => (Vec::new(), Vec::new()),
        };
        Ok(Self {
            basis,
            height,
            width,
            dct_h,
            dct_w,
        })
    }

    /// Values per image.
    pub fn len(&self) -> usize {
        self.height * self.width
    }

    /// Whether the image is empty (never: [`Transform::new`] refuses it).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether coefficient `i` is a low-pass (scaling) coefficient: the DC term of the DCT, the
    /// coarsest low-pass block of the Haar transform. [`lasso_fista`](super::lasso_fista) does not penalize them.
    pub fn is_low_pass(&self, i: usize) -> bool {
        match self.basis {
            Basis::Dct => i == 0,
            Basis::Haar => {
                let f = 1usize << self.haar_levels().len();
                i / self.width < self.height / f && i % self.width < self.width / f
            }
        }
    }

    /// `c = Ψ x`.
    pub fn analysis(&self, x: &[f32], c: &mut [f32]) {
        c.copy_from_slice(x);
        match self.basis {
            Basis::Dct => self.dct(c, false),
            Basis::Haar => self.haar(c, false),
        }
    }

    /// `x = Ψᵀ c`.
    pub fn synthesis(&self, c: &[f32], x: &mut [f32]) {
        x.copy_from_slice(c);
        match self.basis {
            Basis::Dct => self.dct(x, true),
            Basis::Haar => self.haar(x, true),
        }
    }

    fn dct(&self, v: &mut [f32], inverse: bool) {
        let (h, w) = (self.height, self.width);
        let mut tmp = vec![0.0f32; h.max(w)];
        for row in v.chunks_exact_mut(w) {
            dct_1d(&self.dct_w, row, &mut tmp[..w], inverse);
            row.copy_from_slice(&tmp[..w]);
        }
        let mut col = vec![0.0f32; h];
        for c in 0..w {
            for (dst, r) in col.iter_mut().zip(v.chunks_exact(w)) {
                *dst = r[c];
            }
            dct_1d(&self.dct_h, &col, &mut tmp[..h], inverse);
            for (r, &t) in v.chunks_exact_mut(w).zip(&tmp[..h]) {
                r[c] = t;
            }
        }
    }

    /// The low-pass block sizes of each Haar level.
    fn haar_levels(&self) -> Vec<(usize, usize)> {
        let (mut h, mut w) = (self.height, self.width);
        let mut levels = Vec::new();
        while h % 2 == 0 && w % 2 == 0 && h >= 2 && w >= 2 {
            levels.push((h, w));
            h /= 2;
            w /= 2;
        }
        levels
    }

    fn haar(&self, v: &mut [f32], inverse: bool) {
        let stride = self.width;
        let levels = self.haar_levels();
        let s = std::f32::consts::FRAC_1_SQRT_2;
        let mut tmp = vec![0.0f32; self.height.max(self.width)];
        let mut one_level = |v: &mut [f32], h: usize, w: usize| {
            // Rows then columns (forward), columns then rows (inverse): each 1-D step is
            // orthonormal, so the 2-D step is too.
            let rows = |v: &mut [f32], tmp: &mut [f32]| {
                for r in 0..h {
                    let row = &mut v[r * stride..r * stride + w];
                    haar_1d(row, tmp, inverse, s);
                }
            };
            let cols = |v: &mut [f32], tmp: &mut [f32]| {
                let mut col = vec![0.0f32; h];
                for c in 0..w {
                    for r in 0..h {
                        col[r] = v[r * stride + c];
                    }
                    haar_1d(&mut col, tmp, inverse, s);
                    for r in 0..h {
                        v[r * stride + c] = col[r];
                    }
                }
            };
            if inverse {
                cols(v, &mut tmp);
                rows(v, &mut tmp);
            } else {
                rows(v, &mut tmp);
                cols(v, &mut tmp);
            }
        };
        if inverse {
            for &(h, w) in levels.iter().rev() {
                one_level(v, h, w);
            }
        } else {
            for &(h, w) in &levels {
                one_level(v, h, w);
            }
        }
    }
}

/// `out = D x` (or `Dᵀ x` when `inverse`) for the `n × n` row-major DCT matrix `D`.
fn dct_1d(d: &[f32], x: &[f32], out: &mut [f32], inverse: bool) {
    let n = x.len();
    for (k, o) in out.iter_mut().enumerate() {
        let s: f64 = if inverse {
            x.iter()
                .enumerate()
                .map(|(i, &xi)| d[i * n + k] as f64 * xi as f64)
                .sum()
        } else {
            d[k * n..(k + 1) * n]
                .iter()
                .zip(x)
                .map(|(&a, &b)| a as f64 * b as f64)
                .sum()
        };
        *o = s as f32;
    }
}

/// One orthonormal Haar step on an even-length slice: averages first, details second.
fn haar_1d(x: &mut [f32], tmp: &mut [f32], inverse: bool, s: f32) {
    let half = x.len() / 2;
    if inverse {
        for i in 0..half {
            let (a, d) = (x[i], x[half + i]);
            tmp[2 * i] = s * (a + d);
            tmp[2 * i + 1] = s * (a - d);
        }
    } else {
        for i in 0..half {
            let (p, q) = (x[2 * i], x[2 * i + 1]);
            tmp[i] = s * (p + q);
            tmp[half + i] = s * (p - q);
        }
    }
    x.copy_from_slice(&tmp[..x.len()]);
}
