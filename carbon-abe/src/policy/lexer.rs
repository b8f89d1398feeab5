//! Tokeniser for the policy language. Every token carries its byte offset so
//! that syntax errors can point at it.

use crate::error::{Error, Result};

/// One token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) position: usize,
}

/// The kinds of token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    LParen,
    RParen,
    Comma,
    /// An unquoted word: a keyword (`and`, `or`, `of`), a threshold number or
    /// a bare attribute.
    Word(String),
    /// A double-quoted attribute, escapes already resolved.
    Quoted(String),
}

/// Whether `c` may appear in an unquoted attribute.
pub(crate) fn is_bare_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | ':' | '.' | '-' | '/' | '@' | '=' | '#' | '+' | '*')
}

/// Splits `text` into tokens.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(position, c)) = chars.peek() {
        let kind = match c {
            c if c.is_whitespace() => {
                chars.next();
                continue;
            }
            '(' => {
                chars.next();
                TokenKind::LParen
            }
            ')' => {
                chars.next();
                TokenKind::RParen
            }
            ',' => {
                chars.next();
                TokenKind::Comma
            }
            '"' => {
                chars.next();
                let mut value = String::new();
                let mut closed = false;
                while let Some((at, c)) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some((_, e @ ('"' | '\\'))) => value.push(e),
                            Some((at, _)) => {
                                return Err(Error::syntax(
                                    at,
                                    "only \\\" and \\\\ escapes are allowed",
                                ));
                            }
                            None => break,
                        },
                        c if c.is_control() => {
                            return Err(Error::syntax(at, "control character in quoted attribute"));
                        }
                        c => value.push(c),
                    }
                }
                if !closed {
                    return Err(Error::syntax(position, "unterminated quoted attribute"));
                }
                TokenKind::Quoted(value)
            }
            c if is_bare_char(c) => {
                let mut value = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if !is_bare_char(c) {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                TokenKind::Word(value)
            }
            other => {
                return Err(Error::syntax(
                    position,
                    format!("unexpected character {other:?}"),
                ));
            }
        };
        tokens.push(Token { kind, position });
    }
    Ok(tokens)
}
