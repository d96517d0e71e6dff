//! A small dense bounded-variable primal simplex, used only to *choose* dual multipliers.
//!
//! The exact searches bound a node by the Lagrangian `U(y)`, which is a valid upper bound for
//! **every** `y ≥ 0`; the best `y` is the optimal dual of the node's linear relaxation. This
//! module finds that dual approximately in `f64`. Its output is rounded to fixed-point integers
//! and the bound is then evaluated exactly, so floating-point error can only make a bound
//! weaker, never wrong, and no security result ever depends on a float. The arithmetic is plain
//! IEEE-754 (no fused operations, fixed evaluation order), so it is deterministic.
//!
//! Problem: maximise `Σ_j obj_j x_j` subject to `Σ_j a_ij x_j + slack_i = 0` for every row i,
//! `lb_j ≤ x_j ≤ ub_j` and `slack_i ≥ 0`. Every structural variable is bounded, so the problem
//! is never unbounded. Dantzig pricing, with Bland's rule after a run of degenerate pivots;
//! an iteration cap returns `None` (the caller then keeps its previous multipliers).

/// A column: objective coefficient, bounds, and its non-zero entries `(row, value)`.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub obj: f64,
    pub upper: f64,
    pub entries: Vec<(usize, f64)>,
}

/// Optimal duals (one per row) and primal values (one per column), if solved.
#[derive(Debug, Clone)]
pub(crate) struct LpSolution {
    pub duals: Vec<f64>,
    pub values: Vec<f64>,
}

const TOL: f64 = 1e-9;
const DEGENERATE_RUN: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Basic(usize),
    Lower,
    Upper,
}

/// Solves the LP; all structural variables have lower bound 0. `None` if the iteration cap is
/// reached or the numbers degenerate.
pub(crate) fn solve(rows: usize, columns: &[Column]) -> Option<LpSolution> {
    let n = columns.len();
    let total = n + rows;
    // Columns n.. are the slacks (coefficient 1 in their row, bounds [0, ∞)).
    let mut place: Vec<Place> = (0..total)
        .map(|j| {
            if j >= n {
                Place::Basic(j - n)
            } else {
                Place::Lower
            }
        })
        .collect();
    let mut basis: Vec<usize> = (n..total).collect();
    let mut inverse: Vec<f64> = vec![0.0; rows * rows];
    for i in 0..rows {
        inverse[i * rows + i] = 1.0;
    }
    let mut x = vec![0.0; total];
    let obj = |j: usize| if j < n { columns[j].obj } else { 0.0 };
    let upper = |j: usize| {
        if j < n {
            columns[j].upper
        } else {
            f64::INFINITY
        }
    };
    let max_iter = 50 * (rows + n) + 100;
    let mut degenerate = 0usize;
    for _ in 0..max_iter {
        let duals = duals(rows, &basis, &inverse, &obj);
        let entering = price(columns, rows, &place, &duals, degenerate >= DEGENERATE_RUN);
        let Some((j, increase)) = entering else {
            let values = x[..n].to_vec();
            return Some(LpSolution { duals, values });
        };
        let alpha = column_image(rows, &inverse, columns, n, j);
        let (theta, leaving) = ratio_test(&alpha, &basis, &x, &upper, increase, upper(j))?;
        degenerate = if theta <= TOL { degenerate + 1 } else { 0 };
        let step = if increase { theta } else { -theta };
        x[j] += step;
        for (i, a) in alpha.iter().enumerate() {
            x[basis[i]] -= a * step;
        }
        match leaving {
            None => place[j] = if increase { Place::Upper } else { Place::Lower },
            Some((r, to_upper)) => {
                let out = basis[r];
                place[out] = if to_upper { Place::Upper } else { Place::Lower };
                x[out] = if to_upper { upper(out) } else { 0.0 };
                pivot(rows, &mut inverse, &alpha, r)?;
                basis[r] = j;
                place[j] = Place::Basic(r);
            }
        }
    }
    None
}

fn duals(rows: usize, basis: &[usize], inverse: &[f64], obj: &dyn Fn(usize) -> f64) -> Vec<f64> {
    let mut y = vec![0.0; rows];
    for (i, &b) in basis.iter().enumerate() {
        let c = obj(b);
        if c != 0.0 {
            for (k, yk) in y.iter_mut().enumerate() {
                *yk += c * inverse[i * rows + k];
            }
        }
    }
    y
}

/// Entering column and direction (`true`: increase from its lower bound).
fn price(
    columns: &[Column],
    rows: usize,
    place: &[Place],
    y: &[f64],
    bland: bool,
) -> Option<(usize, bool)> {
    let n = columns.len();
    let mut best: Option<(usize, bool, f64)> = None;
    for j in 0..n + rows {
        let rc = if j < n {
            columns[j].obj
                - columns[j]
                    .entries
                    .iter()
                    .map(|(i, a)| y[*i] * a)
                    .sum::<f64>()
        } else {
            -y[j - n]
        };
        let candidate = match place[j] {
            Place::Basic(_) => None,
            Place::Lower if rc > TOL => Some(true),
            Place::Upper if rc < -TOL => Some(false),
            _ => None,
        };
        if let Some(increase) = candidate {
            if bland {
                return Some((j, increase));
            }
            if best.is_none_or(|(_, _, b)| rc.abs() > b) {
                best = Some((j, increase, rc.abs()));
            }
        }
    }
    best.map(|(j, inc, _)| (j, inc))
}

fn column_image(rows: usize, inverse: &[f64], columns: &[Column], n: usize, j: usize) -> Vec<f64> {
    let mut alpha = vec![0.0; rows];
    if j < n {
        for (r, a) in &columns[j].entries {
            for (i, al) in alpha.iter_mut().enumerate() {
                *al += inverse[i * rows + r] * a;
            }
        }
    } else {
        let r = j - n;
        for (i, al) in alpha.iter_mut().enumerate() {
            *al = inverse[i * rows + r];
        }
    }
    alpha
}

/// Largest step and the leaving row (`None`: the entering variable flips to its other bound).
/// `None` overall if the step is unbounded (cannot happen for bounded problems).
#[allow(clippy::type_complexity)]
fn ratio_test(
    alpha: &[f64],
    basis: &[usize],
    x: &[f64],
    upper: &dyn Fn(usize) -> f64,
    increase: bool,
    own_range: f64,
) -> Option<(f64, Option<(usize, bool)>)> {
    let mut theta = own_range;
    let mut leaving = None;
    for (i, &a) in alpha.iter().enumerate() {
        // Basic variable changes by -a·step, step = ±theta.
        let rate = if increase { -a } else { a };
        if rate.abs() <= TOL {
            continue;
        }
        let b = basis[i];
        let (limit, to_upper) = if rate < 0.0 {
            (x[b].max(0.0) / -rate, false)
        } else {
            ((upper(b) - x[b]).max(0.0) / rate, true)
        };
        if limit < theta {
            theta = limit;
            leaving = Some((i, to_upper));
        }
    }
    theta.is_finite().then_some((theta, leaving))
}

fn pivot(rows: usize, inverse: &mut [f64], alpha: &[f64], r: usize) -> Option<()> {
    let p = alpha[r];
    if p.abs() <= TOL {
        return None;
    }
    for k in 0..rows {
        inverse[r * rows + k] /= p;
    }
    for i in 0..rows {
        if i != r && alpha[i] != 0.0 {
            let f = alpha[i];
            for k in 0..rows {
                inverse[i * rows + k] -= f * inverse[r * rows + k];
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covering_lp_dual_prices_the_cheapest_cover() {
        // max 10a − 3b1 − 5b2  s.t.  a − b1/2 − b2/2 + s = 0. Half of a costs 3 (b1), the other
        // half 5 (b2): the optimum is 2 (a = 1/2 with b1, or a = 1 with both), and the row's
        // dual, the marginal value of coverage, is 10.
        let cols = vec![
            Column {
                obj: 10.0,
                upper: 1.0,
                entries: vec![(0, 1.0)],
            },
            Column {
                obj: -3.0,
                upper: 1.0,
                entries: vec![(0, -0.5)],
            },
            Column {
                obj: -5.0,
                upper: 1.0,
                entries: vec![(0, -0.5)],
            },
        ];
        let sol = solve(1, &cols).expect("solves");
        let value: f64 = cols.iter().zip(&sol.values).map(|(c, x)| c.obj * x).sum();
        assert!((value - 2.0).abs() < 1e-9, "{value}");
        assert!((sol.duals[0] - 10.0).abs() < 1e-9, "{:?}", sol.duals);
    }
}
