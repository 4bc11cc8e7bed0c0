//! Warnings: what BuildKit's Dockerfile linter would point out in a
//! Dockerfile, worded as it words it, for the same mistakes here.

use crate::suggest::MAX_CANDIDATES;

use super::model::{Lines, Rule, Warning};
use super::suggest;
use super::words::{Vars, short};

/// BuildKit's `UndefinedVar` for `$name`, used on `lines` with no `ARG`
/// before it. Like BuildKit, a name only given as a build arg is
/// undefined too: a build arg is visible after an `ARG` line only.
pub(super) fn undefined_var(name: &str, vars: &Vars, lines: Lines) -> Warning {
    let hint = if vars.is_build_arg(name) {
        let name = short(name);
        format!(" (it is a --build-arg: declare it with ARG {name} to use it)")
    } else if let Some(near) = near_name(name, vars) {
        let declare = if vars.is_declared(near) {
            String::new()
        } else {
            format!(" Declare it with ARG {near} to use the --build-arg")
        };
        format!(" (did you mean ${near}?{declare})")
    } else {
        String::new()
    };
    let message = format!("Usage of undefined variable '${}'{hint}", short(name));
    Warning {
        rule: Rule::UndefinedVar,
        message,
        lines,
    }
}

/// The declared name or build arg nearest `name`, if one is close.
fn near_name<'v>(name: &str, vars: &'v Vars) -> Option<&'v str> {
    if vars.names_len() > MAX_CANDIDATES {
        return None;
    }
    let names: Vec<&str> = vars.names().collect();
    suggest(name, &names)
}
