//! The policy tree: normalised constructors, canonical `Display`,
//! satisfaction and the 0/1 reconstruction walk for AND/OR trees.

use std::fmt;

use super::Attribute;
use super::lexer::is_bare_char;
use super::parser::is_keyword;

/// A node of a normalised policy tree.
///
/// Normalisation (done by the constructors, so every parsed tree is in this
/// form): gates have at least two children, an `And` has no `And` child, an
/// `Or` has no `Or` child, and a `Threshold` has `1 < k < n` (1-of-n is an
/// `Or`, n-of-n an `And`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A single attribute.
    Attr(Attribute),
    /// All children must be satisfied.
    And(Vec<Node>),
    /// At least one child must be satisfied.
    Or(Vec<Node>),
    /// At least `k` of the children must be satisfied.
    Threshold {
        /// How many children must be satisfied.
        k: usize,
        /// The children.
        children: Vec<Node>,
    },
}

impl Node {
    /// An AND of `children`, flattened and normalised.
    pub(crate) fn and(children: Vec<Node>) -> Node {
        let mut flat = Vec::with_capacity(children.len());
        for child in children {
            match child {
                Node::And(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        if flat.len() == 1 {
            flat.pop().expect("length checked to be 1")
        } else {
            Node::And(flat)
        }
    }

    /// An OR of `children`, flattened and normalised.
    pub(crate) fn or(children: Vec<Node>) -> Node {
        let mut flat = Vec::with_capacity(children.len());
        for child in children {
            match child {
                Node::Or(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        if flat.len() == 1 {
            flat.pop().expect("length checked to be 1")
        } else {
            Node::Or(flat)
        }
    }

    /// A `k`-of-`children` gate, normalised; the caller checked 1 <= k <= n.
    pub(crate) fn threshold(k: usize, children: Vec<Node>) -> Node {
        if k <= 1 {
            Node::or(children)
        } else if k >= children.len() {
            Node::and(children)
        } else {
            Node::Threshold { k, children }
        }
    }

    /// The number of span-program columns this tree compiles to.
    pub(crate) fn columns(&self) -> usize {
        fn extra(node: &Node) -> usize {
            match node {
                Node::Attr(_) => 0,
                Node::Or(c) => c.iter().map(extra).sum(),
                Node::And(c) => c.len() - 1 + c.iter().map(extra).sum::<usize>(),
                Node::Threshold { k, children } => {
                    k - 1 + children.iter().map(extra).sum::<usize>()
                }
            }
        }
        1 + extra(self)
    }

    /// Whether the tree uses only AND and OR gates.
    pub fn is_and_or(&self) -> bool {
        match self {
            Node::Attr(_) => true,
            Node::And(c) | Node::Or(c) => c.iter().all(Node::is_and_or),
            Node::Threshold { .. } => false,
        }
    }

    /// Whether a holder of the attributes accepted by `has` satisfies the tree.
    pub fn is_satisfied_by(&self, has: &dyn Fn(&Attribute) -> bool) -> bool {
        match self {
            Node::Attr(a) => has(a),
            Node::And(c) => c.iter().all(|n| n.is_satisfied_by(has)),
            Node::Or(c) => c.iter().any(|n| n.is_satisfied_by(has)),
            Node::Threshold { k, children } => {
                children.iter().filter(|n| n.is_satisfied_by(has)).count() >= *k
            }
        }
    }

    /// The leaves in depth-first order (the span program's row order).
    pub fn leaves(&self) -> Vec<&Attribute> {
        let mut out = Vec::new();
        self.collect_leaves(&mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, out: &mut Vec<&'a Attribute>) {
        match self {
            Node::Attr(a) => out.push(a),
            Node::And(c) | Node::Or(c) | Node::Threshold { children: c, .. } => {
                c.iter().for_each(|n| n.collect_leaves(out))
            }
        }
    }

    fn leaf_count(&self) -> usize {
        match self {
            Node::Attr(_) => 1,
            Node::And(c) | Node::Or(c) | Node::Threshold { children: c, .. } => {
                c.iter().map(Node::leaf_count).sum()
            }
        }
    }

    /// For an AND/OR tree, the rows (depth-first leaf indices) whose sum is
    /// the target vector: every child of an AND, the first satisfied child of
    /// an OR. `None` if unsatisfied or if the tree has a threshold gate.
    pub(crate) fn and_or_rows(&self, has: &dyn Fn(&Attribute) -> bool) -> Option<Vec<usize>> {
        let mut rows = Vec::new();
        self.walk(0, has, &mut rows).then_some(rows)
    }

    fn walk(
        &self,
        first_row: usize,
        has: &dyn Fn(&Attribute) -> bool,
        rows: &mut Vec<usize>,
    ) -> bool {
        match self {
            Node::Attr(a) => {
                let ok = has(a);
                if ok {
                    rows.push(first_row);
                }
                ok
            }
            Node::And(children) => {
                let mut row = first_row;
                for child in children {
                    if !child.walk(row, has, rows) {
                        return false;
                    }
                    row += child.leaf_count();
                }
                true
            }
            Node::Or(children) => {
                let mut row = first_row;
                for child in children {
                    let mark = rows.len();
                    if child.walk(row, has, rows) {
                        return true;
                    }
                    rows.truncate(mark);
                    row += child.leaf_count();
                }
                false
            }
            Node::Threshold { .. } => false,
        }
    }
}

fn write_attr(f: &mut fmt::Formatter<'_>, a: &Attribute) -> fmt::Result {
    let s = a.as_str();
    if s.chars().all(is_bare_char) && !is_keyword(s) {
        f.write_str(s)
    } else {
        f.write_str("\"")?;
        for c in s.chars() {
            if c == '"' || c == '\\' {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("\"")
    }
}

impl fmt::Display for Node {
    /// The canonical form: `and`/`or` in lower case, an AND inside an OR and
    /// an OR inside an AND parenthesised, thresholds as `k of (x, y, z)`,
    /// attributes quoted only when they must be.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join =
            |f: &mut fmt::Formatter<'_>, children: &[Node], sep: &str, paren: fn(&Node) -> bool| {
                for (i, child) in children.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    if paren(child) {
                        write!(f, "({child})")?;
                    } else {
                        write!(f, "{child}")?;
                    }
                }
                Ok(())
            };
        match self {
            Node::Attr(a) => write_attr(f, a),
            Node::And(c) => join(f, c, " and ", |n| matches!(n, Node::Or(_))),
            Node::Or(c) => join(f, c, " or ", |n| matches!(n, Node::And(_))),
            Node::Threshold { k, children } => {
                write!(f, "{k} of (")?;
                join(f, children, ", ", |_| false)?;
                f.write_str(")")
            }
        }
    }
}
