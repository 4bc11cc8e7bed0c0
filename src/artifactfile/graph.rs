//! The references between items, checked once the whole file is read (an
//! id may be used above the line that defines it): every `SUBJECT <id>`
//! and `MANIFEST <id>` names an item, every index lists one, and no chain
//! of references comes back to where it started, since a manifest's
//! digest covers its subject's and an index's its members'. The same walk
//! gives the order to build the items in.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::suggest::MAX_CANDIDATES;

use super::did_you_mean;
use super::items::Item;
use super::model::{Lines, ParseError, Subject};

/// Most steps of a cycle the message spells out.
const MAX_STEPS: usize = 8;

/// Longest id a message shows whole.
const MAX_ID_CHARS: usize = 60;

/// How one item refers to another.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Subject,
    Manifest,
}

impl Via {
    fn keyword(self) -> &'static str {
        match self {
            Via::Subject => "SUBJECT",
            Via::Manifest => "MANIFEST",
        }
    }
}

/// A reference: to which item, how, on which line.
type Edge = (usize, Via, Lines);

/// Indexes into `items` with each item after those it refers to, else in
/// file order; or the first unknown id, empty index or cycle.
pub(super) fn build_order(items: &[Item]) -> Result<Vec<usize>, ParseError> {
    let edges = edges(items)?;
    let mut state = vec![State::New; items.len()];
    let mut order = Vec::with_capacity(items.len());
    // Depth first, with an explicit stack: a chain of SUBJECTs as long as
    // the file must not overflow the call stack. Each entry is an item on
    // the current path and the number of its edges already followed.
    let mut path: Vec<(usize, usize)> = Vec::new();
    for root in 0..items.len() {
        if state[root] != State::New {
            continue;
        }
        state[root] = State::OnPath;
        path.push((root, 0));
        while let Some((node, followed)) = path.last_mut() {
            let Some(&(to, _, _)) = edges[*node].get(*followed) else {
                state[*node] = State::Done;
                order.push(*node);
                path.pop();
                continue;
            };
            *followed += 1;
            match state[to] {
                State::New => {
                    state[to] = State::OnPath;
                    path.push((to, 0));
                }
                State::OnPath => return Err(cycle(items, &edges, &path, to)),
                State::Done => {}
            }
        }
    }
    Ok(order)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    OnPath,
    Done,
}

/// Each item's references, in line order, resolved to item indexes.
fn edges(items: &[Item]) -> Result<Vec<Vec<Edge>>, ParseError> {
    let ids: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| Some((item.id()?, i)))
        .collect();
    let find = |id: &str, via: Via, lines: Lines| match ids.get(id) {
        Some(&to) => Ok((to, via, lines)),
        None => Err(unknown(items, id, via, lines)),
    };
    items
        .iter()
        .map(|item| match item {
            Item::Artifact(a) => match &a.subject {
                Some((Subject::Id(id), lines)) => Ok(vec![find(id, Via::Subject, *lines)?]),
                _ => Ok(Vec::new()),
            },
            Item::Include(_) => Ok(Vec::new()),
            Item::Index(index) if index.members.is_empty() => Err(ParseError {
                message: format!(
                    "INDEX {} lists no manifests: add MANIFEST <id>... lines after it, naming \
                     the ARTIFACT, INCLUDE or INDEX ids it holds",
                    show(&index.id)
                ),
                lines: index.lines,
            }),
            Item::Index(index) => index
                .members
                .iter()
                .map(|(id, lines)| find(id, Via::Manifest, *lines))
                .collect(),
        })
        .collect()
}

/// The error for `id`, used by `via` at `lines`, which no item has.
fn unknown(items: &[Item], id: &str, via: Via, lines: Lines) -> ParseError {
    let ids: Vec<&str> = items
        .iter()
        .filter_map(Item::id)
        .take(MAX_CANDIDATES)
        .collect();
    let mut hint = did_you_mean(id, &ids);
    if hint.is_empty() {
        hint = " (give an ARTIFACT, INCLUDE or INDEX that id with AS <id>)".to_string();
    }
    let keyword = via.keyword();
    ParseError {
        message: format!(
            "{keyword} {}: no ARTIFACT, INCLUDE or INDEX has this id{hint}",
            show(id)
        ),
        lines,
    }
}

/// The error for the reference from the last item of `path` back to
/// `to`, which is on it.
fn cycle(items: &[Item], edges: &[Vec<Edge>], path: &[(usize, usize)], to: usize) -> ParseError {
    let start = path.iter().position(|&(n, _)| n == to).unwrap_or(0);
    // Each step: the item, and the edge it was left by (the last one
    // followed, as `followed` counts them).
    let steps: Vec<(usize, Edge)> = path[start..]
        .iter()
        .filter_map(|&(n, followed)| Some((n, *edges[n].get(followed.checked_sub(1)?)?)))
        .collect();
    let id = |n: usize| show(items.get(n).and_then(Item::id).unwrap_or("?"));
    let (closing_via, closing_lines) = match steps.last() {
        Some(&(_, (_, via, lines))) => (via, lines),
        None => (Via::Subject, Lines { start: 1, end: 1 }),
    };
    let keyword = closing_via.keyword();
    if let [(n, _)] = steps.as_slice() {
        let message = match closing_via {
            Via::Subject => format!("SUBJECT {}: an artifact cannot be its own subject", id(*n)),
            Via::Manifest => format!("MANIFEST {}: an index cannot list itself", id(*n)),
        };
        return ParseError {
            message,
            lines: closing_lines,
        };
    }
    let mut chain: Vec<String> = steps.iter().take(MAX_STEPS).map(|&(n, _)| id(n)).collect();
    if steps.len() > MAX_STEPS {
        chain.push(format!("... ({} more)", steps.len() - MAX_STEPS));
    }
    chain.push(id(to));
    let mut detail = String::new();
    for (i, &(n, (target, via, lines))) in steps.iter().take(MAX_STEPS).enumerate() {
        let sep = if i == 0 { "" } else { "; " };
        let kind = items.get(n).map_or("item", Item::kind);
        let _ = write!(
            detail,
            "{sep}{kind} {} has {} {} (line {})",
            id(n),
            via.keyword(),
            id(target),
            lines.start
        );
    }
    let why = match (
        steps.iter().all(|(_, (_, via, _))| *via == Via::Subject),
        steps.iter().all(|(_, (_, via, _))| *via == Via::Manifest),
    ) {
        (true, _) => {
            "a manifest's digest covers its subject's, so none of them can be built \
                      first: drop one SUBJECT"
        }
        (_, true) => {
            "an index's digest covers its manifests', so an index cannot hold itself, \
                      also through another index: drop one MANIFEST"
        }
        _ => {
            "a manifest's digest covers its subject's and an index's its manifests', so none \
              of them can be built first: drop one of these SUBJECT or MANIFEST lines"
        }
    };
    ParseError {
        message: format!(
            "{keyword} {} makes a cycle: {} ({detail}); {why}",
            id(to),
            chain.join(" → ")
        ),
        lines: closing_lines,
    }
}

/// An id for a message, cut short if long (ids have no quotes or blanks
/// to escape).
fn show(id: &str) -> String {
    match id.char_indices().nth(MAX_ID_CHARS) {
        Some((cut, _)) => format!("{}...", id.get(..cut).unwrap_or_default()),
        None => id.to_string(),
    }
}
