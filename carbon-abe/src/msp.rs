//! Monotone span programs over the BLS12-381 scalar field.
//!
//! A policy compiles to a matrix M (one row per attribute occurrence, rows in
//! depth-first leaf order) such that a set S is authorised iff the target
//! vector (1, 0, …, 0) is a linear combination of the rows labelled by S.
//! AND/OR gates use the Lewko–Waters construction (entries in {0, 1, −1});
//! a k-of-n gate adds k−1 columns and gives child x the row v‖(x, x², …,
//! x^{k−1}) (Shamir sharing). Rows are stored sparsely.

use ark_bls12_381::Fr;
use ark_ff::{Field, One, Zero};

use crate::policy::{Attribute, Node, Policy};

/// A monotone span program: labelled sparse rows over Fr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanProgram {
    labels: Vec<Attribute>,
    rows: Vec<Vec<(usize, Fr)>>,
    columns: usize,
}

impl SpanProgram {
    /// Compiles a policy.
    pub fn compile(policy: &Policy) -> Self {
        let mut program = SpanProgram {
            labels: Vec::new(),
            rows: Vec::new(),
            columns: 1,
        };
        program.build(policy.root(), vec![(0, Fr::one())]);
        program
    }

    fn build(&mut self, node: &Node, v: Vec<(usize, Fr)>) {
        match node {
            Node::Attr(a) => {
                self.labels.push(a.clone());
                self.rows.push(v);
            }
            Node::Or(children) => {
                for child in children {
                    self.build(child, v.clone());
                }
            }
            Node::And(children) => {
                let base = self.columns;
                let n = children.len();
                self.columns += n - 1;
                for (i, child) in children.iter().enumerate() {
                    let mut row = if i == 0 { v.clone() } else { Vec::new() };
                    if i > 0 {
                        row.push((base + i - 1, -Fr::one()));
                    }
                    if i + 1 < n {
                        row.push((base + i, Fr::one()));
                    }
                    self.build(child, row);
                }
            }
            Node::Threshold { k, children } => {
                let base = self.columns;
                self.columns += k - 1;
                for (x, child) in children.iter().enumerate() {
                    let x = Fr::from(x as u64 + 1);
                    let mut row = v.clone();
                    let mut power = x;
                    for m in 0..k - 1 {
                        row.push((base + m, power));
                        power *= x;
                    }
                    self.build(child, row);
                }
            }
        }
    }

    /// Number of rows (attribute occurrences).
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// Number of columns.
    pub fn column_count(&self) -> usize {
        self.columns
    }

    /// The attribute labelling row `i`.
    pub fn label(&self, i: usize) -> &Attribute {
        &self.labels[i]
    }

    /// Row `i` as sparse `(column, value)` entries.
    pub fn row(&self, i: usize) -> &[(usize, Fr)] {
        &self.rows[i]
    }

    /// Row `i` as a dense vector.
    pub fn dense_row(&self, i: usize) -> Vec<Fr> {
        let mut out = vec![Fr::zero(); self.columns];
        for &(j, value) in &self.rows[i] {
            out[j] += value;
        }
        out
    }

    /// Coefficients γ (by row index, zeros omitted) with Σ γ_i·M_i =
    /// (1, 0, …, 0) over the rows whose label `has` accepts, found by
    /// Gaussian elimination over Fr; `None` if the target is not in their
    /// span (the set is not authorised).
    pub fn reconstruct(&self, has: &dyn Fn(&Attribute) -> bool) -> Option<Vec<(usize, Fr)>> {
        let selected: Vec<usize> = (0..self.rows.len())
            .filter(|&i| has(&self.labels[i]))
            .collect();
        let unknowns = selected.len();
        // One equation per column: Σ_i γ_i M_{i,j} = [j == 0]; augmented.
        let mut system = vec![vec![Fr::zero(); unknowns + 1]; self.columns];
        for (u, &i) in selected.iter().enumerate() {
            for &(j, value) in &self.rows[i] {
                system[j][u] += value;
            }
        }
        system[0][unknowns] = Fr::one();
        let mut pivots = Vec::new();
        let mut rank = 0;
        for col in 0..unknowns {
            let Some(p) = (rank..system.len()).find(|&r| !system[r][col].is_zero()) else {
                continue;
            };
            system.swap(rank, p);
            let inv = system[rank][col]
                .inverse()
                .expect("pivot is non-zero by construction");
            for x in system[rank].iter_mut() {
                *x *= inv;
            }
            let pivot_row = system[rank].clone();
            for (r, eq) in system.iter_mut().enumerate() {
                if r != rank && !eq[col].is_zero() {
                    let factor = eq[col];
                    for (x, p) in eq.iter_mut().zip(&pivot_row) {
                        *x -= factor * p;
                    }
                }
            }
            pivots.push(col);
            rank += 1;
        }
        // Consistent iff no remaining equation reads 0 = non-zero.
        if system[rank..].iter().any(|eq| !eq[unknowns].is_zero()) {
            return None;
        }
        let mut gamma = Vec::new();
        for (r, &col) in pivots.iter().enumerate() {
            let value = system[r][unknowns];
            if !value.is_zero() {
                gamma.push((selected[col], value));
            }
        }
        Some(gamma)
    }

    /// Reconstruction coefficients: the 0/1 tree walk for AND/OR policies,
    /// Gaussian elimination otherwise.
    pub fn coefficients(
        &self,
        policy: &Policy,
        has: &dyn Fn(&Attribute) -> bool,
    ) -> Option<Vec<(usize, Fr)>> {
        if policy.root().is_and_or() {
            let rows = policy.root().and_or_rows(has)?;
            Some(rows.into_iter().map(|i| (i, Fr::one())).collect())
        } else {
            self.reconstruct(has)
        }
    }
}
