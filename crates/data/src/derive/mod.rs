//! Derived values of mapping files (`[derive]`): a harmonised concept computed from a record's
//! columns by a small typed expression, so that a file in its delivered layout needs no
//! pre-processing (`age = "PB110 - PB140 - if(PB100 < PB130, 1, 0)"`,
//! `equivalised_income = "HY020 / HX050"`).
//!
//! The language: numbers, `'text'`, `null`, column names (letters, digits and `_`, or any name
//! in double quotes), `+ - * /`, comparisons `< <= > >= = <>`, parentheses, and the functions
//! `if(condition, then, else)`, `coalesce(a, b, ...)` (the first value present),
//! `missing(COLUMN)`, `and(...)`, `or(...)`, `not(c)`, `min(...)`, `max(...)`, `floor(x)`,
//! `round(x)`. Types are checked when the mapping is read: arithmetic takes numbers,
//! conditions are comparisons or `missing`/`and`/`or`/`not`, both branches of `if` have one
//! type, and the result fits the concept (a number for numeric concepts, text for coded ones).
//!
//! Evaluation never produces a silent null: a missing operand, a value that is not a number
//! and a division by zero are [`EvalError`]s, which the reader turns into rejections naming
//! the record. `null` is written out, as a branch of `if` or an argument of `coalesce`, where
//! a missing result is meant.

use std::fmt;

/// What an expression yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Number,
    Text,
    Condition,
    /// A column: a number or text, as it is used.
    Column,
    /// `null`: fits any type.
    Null,
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::Number => "a number",
            ValueType::Text => "text",
            ValueType::Condition => "a condition",
            ValueType::Column => "a column value",
            ValueType::Null => "null",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Number(f64),
    Text(String),
    Null,
    /// A column by position in the expression's column list.
    Column(usize),
    Neg(Box<Node>),
    Binary(Op, Box<Node>, Box<Node>),
    Call(Function, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    If,
    Coalesce,
    Missing,
    And,
    Or,
    Not,
    Min,
    Max,
    Floor,
    Round,
}

impl Function {
    fn of(name: &str) -> Option<Function> {
        Some(match name.to_ascii_lowercase().as_str() {
            "if" => Function::If,
            "coalesce" => Function::Coalesce,
            "missing" => Function::Missing,
            "and" => Function::And,
            "or" => Function::Or,
            "not" => Function::Not,
            "min" => Function::Min,
            "max" => Function::Max,
            "floor" => Function::Floor,
            "round" => Function::Round,
            _ => return None,
        })
    }
}

/// A parsed and type-checked expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    pub text: String,
    root: Node,
    /// The columns it reads, in order of first use.
    pub columns: Vec<String>,
    pub result: ValueType,
}

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Number(f64),
    Text(std::borrow::Cow<'a, str>),
    Condition(bool),
    Null,
}

/// Why an expression could not be evaluated for a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    /// The column concerned, when there is one.
    pub column: Option<String>,
    /// The value found (empty when missing).
    pub found: String,
    /// What was expected instead.
    pub expected: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Text(String),
    Word(String),
    Quoted(String),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Result<Vec<(usize, Token)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            let n = s
                .parse::<f64>()
                .map_err(|_| format!("`{s}` at character {at} is not a number"))?;
            out.push((at, Token::Number(n)));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((at, Token::Word(chars[start..i].iter().collect())));
        } else if c == '\'' || c == '"' {
            let start = i + 1;
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += 1;
            }
            if i == chars.len() {
                return Err(format!("the quote at character {at} is not closed"));
            }
            let s: String = chars[start..i].iter().collect();
            i += 1;
            out.push((
                at,
                if c == '\'' {
                    Token::Text(s)
                } else {
                    Token::Quoted(s)
                },
            ));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let (op, len) = match two.as_str() {
                "<=" => ("<=", 2),
                ">=" => (">=", 2),
                "<>" => ("<>", 2),
                "!=" => ("<>", 2),
                _ => match c {
                    '+' => ("+", 1),
                    '-' => ("-", 1),
                    '*' => ("*", 1),
                    '/' => ("/", 1),
                    '<' => ("<", 1),
                    '>' => (">", 1),
                    '=' => ("=", 1),
                    '(' => ("(", 1),
                    ')' => (")", 1),
                    ',' => (",", 1),
                    _ => return Err(format!("unexpected `{c}` at character {at}")),
                },
            };
            out.push((
                at,
                match op {
                    "(" => Token::Open,
                    ")" => Token::Close,
                    "," => Token::Comma,
                    _ => Token::Op(op),
                },
            ));
            i += len;
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    columns: Vec<String>,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(_, t)| t)
    }

    fn position(&self) -> String {
        match self.tokens.get(self.at) {
            Some((p, _)) => format!("at character {p}"),
            None => "at the end".into(),
        }
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), String> {
        if self.peek() == Some(&token) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected {what} {}", self.position()))
        }
    }

    fn comparison(&mut self) -> Result<Node, String> {
        let left = self.sum()?;
        let op = match self.peek() {
            Some(Token::Op("<")) => Op::Lt,
            Some(Token::Op("<=")) => Op::Le,
            Some(Token::Op(">")) => Op::Gt,
            Some(Token::Op(">=")) => Op::Ge,
            Some(Token::Op("=")) => Op::Eq,
            Some(Token::Op("<>")) => Op::Ne,
            _ => return Ok(left),
        };
        self.at += 1;
        let right = self.sum()?;
        Ok(Node::Binary(op, Box::new(left), Box::new(right)))
    }

    fn sum(&mut self) -> Result<Node, String> {
        let mut left = self.term()?;
        loop {
            let op = match self.peek() {
                Some(Token::Op("+")) => Op::Add,
                Some(Token::Op("-")) => Op::Sub,
                _ => return Ok(left),
            };
            self.at += 1;
            left = Node::Binary(op, Box::new(left), Box::new(self.term()?));
        }
    }

    fn term(&mut self) -> Result<Node, String> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Token::Op("*")) => Op::Mul,
                Some(Token::Op("/")) => Op::Div,
                _ => return Ok(left),
            };
            self.at += 1;
            left = Node::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Node, String> {
        if self.peek() == Some(&Token::Op("-")) {
            self.at += 1;
            return Ok(Node::Neg(Box::new(self.unary()?)));
        }
        self.atom()
    }

    fn column(&mut self, name: String) -> Node {
        let i = match self.columns.iter().position(|c| *c == name) {
            Some(i) => i,
            None => {
                self.columns.push(name);
                self.columns.len() - 1
            }
        };
        Node::Column(i)
    }

    fn atom(&mut self) -> Result<Node, String> {
        let position = self.position();
        let Some((_, token)) = self.tokens.get(self.at).cloned() else {
            return Err("the expression ends too early".into());
        };
        self.at += 1;
        match token {
            Token::Number(n) => Ok(Node::Number(n)),
            Token::Text(s) => Ok(Node::Text(s)),
            Token::Quoted(s) => Ok(self.column(s)),
            Token::Open => {
                let inner = self.comparison()?;
                self.expect(Token::Close, "`)`")?;
                Ok(inner)
            }
            Token::Word(w) if w.eq_ignore_ascii_case("null") => Ok(Node::Null),
            Token::Word(w) if self.peek() == Some(&Token::Open) => {
                let f = Function::of(&w).ok_or_else(|| {
                    format!(
                        "unknown function `{w}` {position} (functions: if, coalesce, missing, and, or, not, min, max, floor, round)"
                    )
                })?;
                self.at += 1;
                let mut args = Vec::new();
                if self.peek() != Some(&Token::Close) {
                    loop {
                        args.push(self.comparison()?);
                        if self.peek() == Some(&Token::Comma) {
                            self.at += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.expect(Token::Close, "`,` or `)`")?;
                Ok(Node::Call(f, args))
            }
            Token::Word(w) => Ok(self.column(w)),
            other => Err(format!("unexpected {} {position}", describe(&other))),
        }
    }
}

fn describe(t: &Token) -> String {
    match t {
        Token::Op(o) => format!("`{o}`"),
        Token::Close => "`)`".into(),
        Token::Comma => "`,`".into(),
        _ => "token".into(),
    }
}

/// The type of a node, or why it does not check.
fn type_of(node: &Node) -> Result<ValueType, String> {
    use ValueType::*;
    let numeric = |t: ValueType, what: &str| -> Result<(), String> {
        if matches!(t, Number | Column | Null) {
            Ok(())
        } else {
            Err(format!("{what} takes numbers, not {t}"))
        }
    };
    let condition = |t: ValueType, what: &str| -> Result<(), String> {
        if t == Condition {
            Ok(())
        } else {
            Err(format!(
                "{what} takes conditions (comparisons, missing, and, or, not), not {t}"
            ))
        }
    };
    Ok(match node {
        Node::Number(_) => Number,
        Node::Text(_) => Text,
        Node::Null => Null,
        Node::Column(_) => Column,
        Node::Neg(x) => {
            numeric(type_of(x)?, "`-`")?;
            Number
        }
        Node::Binary(op, a, b) => {
            let (ta, tb) = (type_of(a)?, type_of(b)?);
            match op {
                Op::Add | Op::Sub | Op::Mul | Op::Div => {
                    numeric(ta, "arithmetic")?;
                    numeric(tb, "arithmetic")?;
                    Number
                }
                Op::Eq | Op::Ne if ta == Text || tb == Text => {
                    for t in [ta, tb] {
                        if !matches!(t, Text | Column) {
                            return Err(format!("`=` compares text with text, not with {t}"));
                        }
                    }
                    Condition
                }
                _ => {
                    numeric(ta, "a comparison")?;
                    numeric(tb, "a comparison")?;
                    Condition
                }
            }
        }
        Node::Call(f, args) => {
            let types: Vec<ValueType> = args.iter().map(type_of).collect::<Result<_, _>>()?;
            let count = |n: usize, name: &str| -> Result<(), String> {
                if args.len() == n {
                    Ok(())
                } else {
                    Err(format!(
                        "{name}() takes {n} argument(s), not {}",
                        args.len()
                    ))
                }
            };
            match f {
                Function::If => {
                    count(3, "if")?;
                    condition(types[0], "the first argument of if()")?;
                    unify(types[1], types[2], "the branches of if()")?
                }
                Function::Coalesce => {
                    if args.len() < 2 {
                        return Err("coalesce() takes two arguments or more".into());
                    }
                    types
                        .iter()
                        .try_fold(Null, |acc, t| unify(acc, *t, "the arguments of coalesce()"))?
                }
                Function::Missing => {
                    count(1, "missing")?;
                    if !matches!(args[0], Node::Column(_)) {
                        return Err("missing() takes a column name".into());
                    }
                    Condition
                }
                Function::And | Function::Or => {
                    if args.is_empty() {
                        return Err("and() and or() take one condition or more".into());
                    }
                    for t in &types {
                        condition(*t, "and() / or()")?;
                    }
                    Condition
                }
                Function::Not => {
                    count(1, "not")?;
                    condition(types[0], "not()")?;
                    Condition
                }
                Function::Min | Function::Max => {
                    if args.is_empty() {
                        return Err("min() and max() take one number or more".into());
                    }
                    for t in &types {
                        numeric(*t, "min() / max()")?;
                    }
                    Number
                }
                Function::Floor | Function::Round => {
                    count(1, "floor / round")?;
                    numeric(types[0], "floor() / round()")?;
                    Number
                }
            }
        }
    })
}

fn unify(a: ValueType, b: ValueType, what: &str) -> Result<ValueType, String> {
    use ValueType::*;
    Ok(match (a, b) {
        (Null, t) | (t, Null) => t,
        (Column, Column) => Column,
        (Column, t) | (t, Column) if t != Condition => t,
        (x, y) if x == y => x,
        (x, y) => return Err(format!("{what} must have one type, not {x} and {y}")),
    })
}

impl Expression {
    /// Parses and type-checks an expression.
    pub fn parse(text: &str) -> Result<Expression, String> {
        let mut p = Parser {
            tokens: tokens(text)?,
            at: 0,
            columns: Vec::new(),
        };
        if p.tokens.is_empty() {
            return Err("the expression is empty".into());
        }
        let root = p.comparison()?;
        if p.at < p.tokens.len() {
            return Err(format!("unexpected text {}", p.position()));
        }
        let result = type_of(&root)?;
        Ok(Expression {
            text: text.to_string(),
            root,
            columns: p.columns,
            result,
        })
    }

    /// Evaluates the expression for one record: `value(i)` is the record's value of column
    /// `columns[i]` (`None` when missing). `Ok(None)` only where the expression says `null`.
    pub fn evaluate<'a>(
        &self,
        value: &dyn Fn(usize) -> Option<&'a str>,
    ) -> Result<Option<String>, EvalError> {
        Ok(match self.eval(&self.root, value)? {
            Value::Null => None,
            Value::Number(x) => Some(format_number(x)),
            Value::Text(t) => Some(t.into_owned()),
            Value::Condition(b) => Some(if b { "1" } else { "0" }.to_string()),
        })
    }

    fn number<'a>(
        &self,
        node: &Node,
        value: &dyn Fn(usize) -> Option<&'a str>,
    ) -> Result<f64, EvalError> {
        match self.eval(node, value)? {
            Value::Number(x) => Ok(x),
            Value::Text(t) => {
                let column = match node {
                    Node::Column(i) => Some(self.columns[*i].clone()),
                    _ => None,
                };
                t.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or(EvalError {
                        column,
                        found: t.into_owned(),
                        expected: format!("a number (in `{}`)", self.text),
                    })
            }
            Value::Null => Err(EvalError {
                column: None,
                found: String::new(),
                expected: format!("a value: null reached arithmetic in `{}`", self.text),
            }),
            Value::Condition(_) => unreachable!("type-checked"),
        }
    }

    fn condition<'a>(
        &self,
        node: &Node,
        value: &dyn Fn(usize) -> Option<&'a str>,
    ) -> Result<bool, EvalError> {
        match self.eval(node, value)? {
            Value::Condition(b) => Ok(b),
            // Type-checked: only `null` (a branch of `if` or `coalesce`) reaches here.
            _ => Err(self.null_reached("a condition")),
        }
    }

    /// `null` written in the mapping reached a place that needs a value.
    fn null_reached(&self, place: &str) -> EvalError {
        EvalError {
            column: None,
            found: String::new(),
            expected: format!("{place}: null reached it in `{}`", self.text),
        }
    }

    fn eval<'a>(
        &self,
        node: &Node,
        value: &dyn Fn(usize) -> Option<&'a str>,
    ) -> Result<Value<'a>, EvalError> {
        Ok(match node {
            Node::Number(x) => Value::Number(*x),
            Node::Text(t) => Value::Text(std::borrow::Cow::Owned(t.clone())),
            Node::Null => Value::Null,
            Node::Column(i) => match value(*i) {
                Some(v) => Value::Text(std::borrow::Cow::Borrowed(v)),
                None => {
                    return Err(EvalError {
                        column: Some(self.columns[*i].clone()),
                        found: String::new(),
                        expected: format!(
                            "a value (`{}` needs it; write coalesce() or if(missing({}), ...) where it may be missing)",
                            self.text, self.columns[*i]
                        ),
                    })
                }
            },
            Node::Neg(x) => Value::Number(-self.number(x, value)?),
            Node::Binary(op, a, b) => match op {
                Op::Add | Op::Sub | Op::Mul | Op::Div => {
                    let (x, y) = (self.number(a, value)?, self.number(b, value)?);
                    Value::Number(match op {
                        Op::Add => x + y,
                        Op::Sub => x - y,
                        Op::Mul => x * y,
                        _ => {
                            if y == 0.0 {
                                return Err(EvalError {
                                    column: match &**b {
                                        Node::Column(i) => Some(self.columns[*i].clone()),
                                        _ => None,
                                    },
                                    found: "0".into(),
                                    expected: format!("a divisor other than 0 in `{}`", self.text),
                                });
                            }
                            x / y
                        }
                    })
                }
                Op::Eq | Op::Ne
                    if [a, b]
                        .iter()
                        .any(|n| type_of(n).ok() == Some(ValueType::Text)) =>
                {
                    let text = |n: &Node| -> Result<String, EvalError> {
                        match self.eval(n, value)? {
                            Value::Text(t) => Ok(t.into_owned()),
                            Value::Number(x) => Ok(format_number(x)),
                            _ => Err(self.null_reached("text to compare")),
                        }
                    };
                    let equal = text(a)? == text(b)?;
                    Value::Condition(if *op == Op::Eq { equal } else { !equal })
                }
                _ => {
                    let (x, y) = (self.number(a, value)?, self.number(b, value)?);
                    Value::Condition(match op {
                        Op::Lt => x < y,
                        Op::Le => x <= y,
                        Op::Gt => x > y,
                        Op::Ge => x >= y,
                        Op::Eq => x == y,
                        _ => x != y,
                    })
                }
            },
            Node::Call(f, args) => match f {
                Function::If => {
                    if self.condition(&args[0], value)? {
                        self.eval(&args[1], value)?
                    } else {
                        self.eval(&args[2], value)?
                    }
                }
                Function::Coalesce => {
                    for a in args {
                        match a {
                            Node::Column(i) if value(*i).is_none() => continue,
                            _ => match self.eval(a, value)? {
                                Value::Null => continue,
                                v => return Ok(v),
                            },
                        }
                    }
                    Value::Null
                }
                Function::Missing => match &args[0] {
                    Node::Column(i) => Value::Condition(value(*i).is_none()),
                    _ => unreachable!("type-checked"),
                },
                Function::And => {
                    for a in args {
                        if !self.condition(a, value)? {
                            return Ok(Value::Condition(false));
                        }
                    }
                    Value::Condition(true)
                }
                Function::Or => {
                    for a in args {
                        if self.condition(a, value)? {
                            return Ok(Value::Condition(true));
                        }
                    }
                    Value::Condition(false)
                }
                Function::Not => Value::Condition(!self.condition(&args[0], value)?),
                Function::Min | Function::Max => {
                    let mut best: Option<f64> = None;
                    for a in args {
                        let x = self.number(a, value)?;
                        best = Some(match best {
                            None => x,
                            Some(b) if *f == Function::Min => b.min(x),
                            Some(b) => b.max(x),
                        });
                    }
                    Value::Number(best.unwrap_or(f64::NAN))
                }
                Function::Floor => Value::Number(self.number(&args[0], value)?.floor()),
                Function::Round => Value::Number(self.number(&args[0], value)?.round()),
            },
        })
    }
}

/// A number as a harmonised value: whole numbers without a decimal point.
fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests;
