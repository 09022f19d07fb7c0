//! The expression language on hand-computed cases, and its errors.
use super::*;

fn eval(text: &str, values: &[(&str, Option<&str>)]) -> Result<Option<String>, EvalError> {
    let e = Expression::parse(text).unwrap();
    let lookup = |i: usize| {
        values
            .iter()
            .find(|(n, _)| *n == e.columns[i])
            .and_then(|(_, v)| *v)
    };
    e.evaluate(&lookup)
}

#[test]
fn age_at_interview_from_year_and_month_of_birth() {
    let age = "PB110 - PB140 - if(PB100 < PB130, 1, 0)";
    let row = |interview_month: &'static str| {
        vec![
            ("PB110", Some("2024")),
            ("PB140", Some("1980")),
            ("PB130", Some("6")),
            ("PB100", Some(interview_month)),
        ]
    };
    // Interviewed in March, born in June: 43 completed years; in September: 44.
    assert_eq!(eval(age, &row("3")).unwrap().as_deref(), Some("43"));
    assert_eq!(eval(age, &row("9")).unwrap().as_deref(), Some("44"));
}

#[test]
fn arithmetic_follows_precedence_and_parentheses() {
    let v = [("A", Some("10")), ("B", Some("4"))];
    assert_eq!(eval("A - B * 2", &v).unwrap().as_deref(), Some("2"));
    assert_eq!(eval("(A - B) * 2", &v).unwrap().as_deref(), Some("12"));
    assert_eq!(eval("A / B", &v).unwrap().as_deref(), Some("2.5"));
    assert_eq!(eval("-A + max(B, 7)", &v).unwrap().as_deref(), Some("-3"));
    assert_eq!(eval("floor(A / 3)", &v).unwrap().as_deref(), Some("3"));
}

#[test]
fn division_by_zero_and_missing_operands_are_errors_not_nulls() {
    let e = eval(
        "HY020 / HX050",
        &[("HY020", Some("30000")), ("HX050", Some("0"))],
    )
    .unwrap_err();
    assert_eq!(e.column.as_deref(), Some("HX050"));
    assert!(e.expected.contains("divisor other than 0"), "{e:?}");
    let e = eval("HY020 / HX050", &[("HY020", None), ("HX050", Some("2"))]).unwrap_err();
    assert_eq!(e.column.as_deref(), Some("HY020"));
    assert!(e.expected.contains("coalesce"), "{e:?}");
    let e = eval("HY020 / 2", &[("HY020", Some("abc"))]).unwrap_err();
    assert_eq!(
        (e.column.as_deref(), e.found.as_str()),
        (Some("HY020"), "abc")
    );
    // Explicit: missing where the mapping says so.
    let v = [("HH070", None)];
    assert_eq!(
        eval("if(missing(HH070), null, HH070 * 12)", &v).unwrap(),
        None
    );
    assert_eq!(
        eval("coalesce(HH070, 0) * 12", &v).unwrap().as_deref(),
        Some("0")
    );
}

#[test]
fn text_results_and_comparisons() {
    let v = [("PB210", Some("LOC"))];
    assert_eq!(
        eval("if(PB210 = 'LOC', '@home', '@non_eu')", &v)
            .unwrap()
            .as_deref(),
        Some("@home")
    );
    assert_eq!(
        Expression::parse("if(PB210 = 'LOC', 1, 'x')").unwrap_err(),
        "the branches of if() must have one type, not a number and text"
    );
}

#[test]
fn syntax_and_type_errors_say_where_and_what() {
    for (text, expected) in [
        ("HY020 /", "ends too early"),
        ("HY020 HX050", "unexpected text at character 7"),
        ("sqrt(HY020)", "unknown function `sqrt`"),
        ("(HY020 + 1", "expected `)`"),
        ("'abc' + 1", "arithmetic takes numbers, not text"),
        ("if(HY020, 1, 0)", "takes conditions"),
        ("HY020 # 2", "unexpected `#` at character 7"),
        ("'open", "not closed"),
        ("", "empty"),
    ] {
        let e = Expression::parse(text).unwrap_err();
        assert!(e.contains(expected), "{text}: {e}");
    }
}

#[test]
fn null_reaching_a_condition_or_a_comparison_is_an_error_not_a_crash() {
    let v = [("A", Some("0"))];
    let e = eval("if(and(if(A > 1, A > 2, null)), 1, 0)", &v).unwrap_err();
    assert!(e.expected.contains("a condition: null reached it"), "{e:?}");
    let e = eval("if(if(A < 1, null, 'x') = 'y', 1, 0)", &v).unwrap_err();
    assert!(e.expected.contains("text to compare"), "{e:?}");
    // Text from a branch compares as text.
    assert_eq!(
        eval("if(if(A < 1, 'x', 'z') = 'x', 1, 0)", &v)
            .unwrap()
            .as_deref(),
        Some("1")
    );
}
