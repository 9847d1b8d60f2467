//! The refresh-token lineage of a session, drawn: each token a circle, oldest on the left;
//! the line of tokens that were (or are) current along the top, and any child that was dropped
//! hanging below its parent. Only the first characters of each `jti` are shown, never a token.
//! Positions are worked out here; the template only prints them into an SVG.

use crate::clock::format_unix;
use crate::i18n::Texts;
use crate::lineage::State;
use crate::store::sessions::LineageEntry;

/// Tokens on the main line shown at most (the newest); a 30-day session refreshed daily has 30.
const MAX_SHOWN: usize = 8;
const STEP: i64 = 140;
const LEFT: i64 = 70;
const TOP: i64 = 34;
const DROP_ROW: i64 = 110;
const DROP_STEP: i64 = 56;

pub struct Node {
    pub x: i64,
    pub y: i64,
    /// `current`, `pending`, `retired` or `dropped`: the CSS class and `data-token-state`.
    pub state: State,
    pub state_label: &'static str,
    pub short_id: String,
    /// When it was issued, as `HH:MM:SS`.
    pub time: String,
    /// Everything known about it, for the tooltip and screen readers.
    pub title: String,
}

pub struct Edge {
    pub x1: i64,
    pub y1: i64,
    pub x2: i64,
    pub y2: i64,
    pub dropped: bool,
}

pub struct Picture {
    pub width: i64,
    pub height: i64,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

fn label(t: &'static Texts, state: State) -> &'static str {
    match state {
        State::Current => t.state_current,
        State::Pending => t.state_pending,
        State::Dropped => t.state_dropped,
        State::Retired => t.state_retired,
    }
}

fn clock_time(ms: i64) -> String {
    let full = format_unix(ms.div_euclid(1000));
    full.split(' ').nth(1).unwrap_or(&full).to_owned()
}

fn describe(t: &'static Texts, e: &LineageEntry) -> String {
    let mut parts = vec![
        format!("jti {}…", short(&e.jti)),
        format!(
            "{}: {}",
            t.state_issued,
            format_unix(e.issued_ms.div_euclid(1000))
        ),
    ];
    if let Some(at) = e.confirmed_ms {
        parts.push(format!(
            "{}: {}",
            t.state_confirmed,
            format_unix(at.div_euclid(1000))
        ));
    }
    if let Some(at) = e.ended_ms {
        parts.push(format!(
            "{}: {}",
            label(t, e.state),
            format_unix(at.div_euclid(1000))
        ));
    }
    parts.join(" · ")
}

fn short(jti: &str) -> String {
    jti.chars().take(6).collect()
}

/// How many ancestors a token has in `entries`: its place on the line. Two tokens can be issued
/// in the same millisecond, so descent, not time, orders the line.
fn depth(entries: &[LineageEntry], entry: &LineageEntry) -> usize {
    let mut depth = 0;
    let mut parent = entry.parent_jti.as_deref();
    while let Some(p) = parent {
        let Some(up) = entries.iter().find(|e| e.jti == p) else {
            break;
        };
        depth += 1;
        parent = up.parent_jti.as_deref();
        if depth > entries.len() {
            break;
        }
    }
    depth
}

/// Lays out `entries` (oldest first, as the store returns them).
pub fn draw(t: &'static Texts, entries: &[LineageEntry]) -> Picture {
    let mut main: Vec<(usize, &LineageEntry)> = entries
        .iter()
        .filter(|e| e.state != State::Dropped)
        .map(|e| (depth(entries, e), e))
        .collect();
    main.sort_by_key(|(depth, e)| (*depth, e.issued_ms));
    let main: Vec<&LineageEntry> = main.into_iter().map(|(_, e)| e).collect();
    let shown = &main[main.len().saturating_sub(MAX_SHOWN)..];
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut lowest = TOP;
    for (i, entry) in shown.iter().enumerate() {
        let x = LEFT + i as i64 * STEP;
        if i > 0 {
            edges.push(Edge {
                x1: x - STEP + 12,
                y1: TOP,
                x2: x - 12,
                y2: TOP,
                dropped: false,
            });
        }
        nodes.push(node(t, entry, x, TOP));
        let dropped = entries.iter().filter(|d| {
            d.state == State::Dropped && d.parent_jti.as_deref() == Some(entry.jti.as_str())
        });
        // A dropped child hangs from the middle of the edge leaving its parent, between the
        // labels of the tokens on either side; several stack downwards.
        let cx = x + STEP / 2;
        for (k, child) in dropped.enumerate() {
            let cy = DROP_ROW + k as i64 * DROP_STEP;
            edges.push(Edge {
                x1: cx,
                y1: TOP,
                x2: cx,
                y2: cy - 10,
                dropped: true,
            });
            nodes.push(node(t, child, cx, cy));
            lowest = lowest.max(cy);
        }
    }
    let rightmost = nodes.iter().map(|n| n.x).max().unwrap_or(LEFT);
    Picture {
        width: rightmost + LEFT,
        height: lowest + 50,
        nodes,
        edges,
    }
}

fn node(t: &'static Texts, e: &LineageEntry, x: i64, y: i64) -> Node {
    Node {
        x,
        y,
        state: e.state,
        state_label: label(t, e.state),
        short_id: short(&e.jti),
        time: clock_time(e.issued_ms),
        title: describe(t, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::EN;

    fn entry(jti: &str, parent: Option<&str>, state: &str, at: i64) -> LineageEntry {
        LineageEntry {
            jti: jti.into(),
            parent_jti: parent.map(Into::into),
            state: State::parse(state).unwrap(),
            issued_ms: at,
            confirmed_ms: None,
            ended_ms: None,
        }
    }

    #[test]
    fn the_main_line_runs_left_to_right_and_dropped_children_hang_below() {
        // Issued in the same millisecond, listed out of order: descent decides.
        let entries = [
            entry("dddddd44", Some("cccccc33"), "pending", 1_000),
            entry("cccccc33", Some("aaaaaa11"), "current", 1_000),
            entry("bbbbbb22", Some("aaaaaa11"), "dropped", 1_000),
            entry("aaaaaa11", None, "retired", 1_000),
        ];
        let picture = draw(&EN, &entries);
        let states: Vec<_> = picture
            .nodes
            .iter()
            .map(|n| (n.short_id.as_str(), n.state.as_str(), n.y))
            .collect();
        assert_eq!(
            states,
            [
                ("aaaaaa", "retired", TOP),
                ("bbbbbb", "dropped", DROP_ROW),
                ("cccccc", "current", TOP),
                ("dddddd", "pending", TOP),
            ]
        );
        assert_eq!(picture.edges.iter().filter(|e| e.dropped).count(), 1);
        assert!(
            picture.nodes.iter().all(|n| !n.title.contains("aaaaaa11")),
            "ids are shortened"
        );
    }

    #[test]
    fn only_the_newest_tokens_are_drawn() {
        let entries: Vec<_> = (0..20)
            .map(|i| entry(&format!("{i:06}xx"), None, "retired", i))
            .collect();
        assert_eq!(draw(&EN, &entries).nodes.len(), MAX_SHOWN);
    }
}
