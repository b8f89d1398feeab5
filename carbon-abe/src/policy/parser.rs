//! Recursive-descent parser for the policy language.
//!
//! ```text
//! policy    := or_expr EOF
//! or_expr   := and_expr ("or" and_expr)*
//! and_expr  := atom ("and" atom)*
//! atom      := "(" or_expr ")"
//!            | NUMBER "of" "(" or_expr ("," or_expr)* ")"
//!            | attribute
//! attribute := bare word (letters, digits, _ : . - / @ = # + *) | "quoted"
//! ```
//! Keywords are case-insensitive; `and` binds tighter than `or`.

use std::collections::BTreeMap;

use super::lexer::{Token, TokenKind, tokenize};
use super::{Attribute, Node, limits};
use crate::error::{Error, PolicyError, Result};

pub(crate) struct Parser {
    tokens: Vec<Token>,
    next: usize,
    end: usize,
    depth: usize,
    seen: BTreeMap<Attribute, usize>,
}

fn keyword(token: Option<&Token>, word: &str) -> bool {
    matches!(token, Some(Token { kind: TokenKind::Word(w), .. }) if w.eq_ignore_ascii_case(word))
}

pub(crate) fn is_keyword(word: &str) -> bool {
    ["and", "or", "of"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}

impl Parser {
    /// Parses `text` into a normalised tree, enforcing the limits.
    pub(crate) fn parse(text: &str) -> Result<Node> {
        if text.len() > limits::MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge {
                what: "policy text bytes",
                limit: limits::MAX_POLICY_BYTES,
            }
            .into());
        }
        let tokens = tokenize(text)?;
        if tokens.is_empty() {
            return Err(PolicyError::Empty.into());
        }
        let mut parser = Parser {
            tokens,
            next: 0,
            end: text.len(),
            depth: 0,
            seen: BTreeMap::new(),
        };
        let node = parser.or_expr()?;
        if let Some(token) = parser.peek() {
            return Err(Error::syntax(
                token.position,
                "expected `and`, `or` or the end of the policy",
            ));
        }
        let columns = node.columns();
        if columns > limits::MAX_COLUMNS {
            return Err(PolicyError::TooLarge {
                what: "span-program columns",
                limit: limits::MAX_COLUMNS,
            }
            .into());
        }
        Ok(node)
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn position(&self) -> usize {
        self.peek().map_or(self.end, |t| t.position)
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> Result<()> {
        match self.peek() {
            Some(t) if t.kind == kind => {
                self.next += 1;
                Ok(())
            }
            _ => Err(Error::syntax(self.position(), format!("expected {what}"))),
        }
    }

    fn or_expr(&mut self) -> Result<Node> {
        self.depth += 1;
        if self.depth > limits::MAX_DEPTH {
            return Err(PolicyError::TooLarge {
                what: "nesting depth",
                limit: limits::MAX_DEPTH,
            }
            .into());
        }
        let mut children = vec![self.and_expr()?];
        while keyword(self.peek(), "or") {
            self.next += 1;
            children.push(self.and_expr()?);
        }
        self.depth -= 1;
        Ok(Node::or(children))
    }

    fn and_expr(&mut self) -> Result<Node> {
        let mut children = vec![self.atom()?];
        while keyword(self.peek(), "and") {
            self.next += 1;
            children.push(self.atom()?);
        }
        Ok(Node::and(children))
    }

    fn atom(&mut self) -> Result<Node> {
        let position = self.position();
        let Some(token) = self.bump() else {
            return Err(Error::syntax(
                position,
                "expected an attribute, `(` or `k of (...)`",
            ));
        };
        match token.kind {
            TokenKind::LParen => {
                let inner = self.or_expr()?;
                self.expect(TokenKind::RParen, "`)`")?;
                Ok(inner)
            }
            TokenKind::Word(w)
                if w.bytes().all(|b| b.is_ascii_digit()) && keyword(self.peek(), "of") =>
            {
                self.next += 1;
                self.threshold(&w, position)
            }
            TokenKind::Word(w) if is_keyword(&w) => Err(Error::syntax(
                position,
                format!("unexpected keyword `{w}` (quote it to use it as an attribute)"),
            )),
            TokenKind::Word(w) | TokenKind::Quoted(w) => self.leaf(w, position),
            TokenKind::RParen | TokenKind::Comma => Err(Error::syntax(
                position,
                "expected an attribute, `(` or `k of (...)`",
            )),
        }
    }

    fn threshold(&mut self, digits: &str, position: usize) -> Result<Node> {
        self.expect(TokenKind::LParen, "`(` after `of`")?;
        let mut children = vec![self.or_expr()?];
        while self.peek().is_some_and(|t| t.kind == TokenKind::Comma) {
            self.next += 1;
            children.push(self.or_expr()?);
        }
        self.expect(TokenKind::RParen, "`,` or `)`")?;
        let n = children.len();
        let k: u64 = digits.parse().unwrap_or(u64::MAX);
        if k == 0 || k > n as u64 {
            return Err(PolicyError::ThresholdOutOfRange { k, n, position }.into());
        }
        // k is in 1..=n, so it fits in usize.
        Ok(Node::threshold(k as usize, children))
    }

    fn leaf(&mut self, name: String, position: usize) -> Result<Node> {
        let attribute = Attribute::new(name)?;
        if self.seen.contains_key(&attribute) {
            return Err(PolicyError::DuplicateAttribute {
                attribute: attribute.as_str().to_owned(),
                position,
            }
            .into());
        }
        if self.seen.len() >= limits::MAX_ATTRIBUTES {
            return Err(PolicyError::TooLarge {
                what: "attributes",
                limit: limits::MAX_ATTRIBUTES,
            }
            .into());
        }
        self.seen.insert(attribute.clone(), position);
        Ok(Node::Attr(attribute))
    }
}
