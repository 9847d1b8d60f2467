//! The crowds' curve, for people who would rather look than read: `/userinfo` per second
//! against the number of people sending requests (log scale), SQLite, sessions without "keep me
//! logged in", with `/healthz` of the same rounds as the ceiling, before and after. Written by
//! plotters into `docs/people.svg`; "before" comes from `benches/people-before.json` (the same
//! section's output on the code before the crowd work), when it is there.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde_json::Value;

/// `(people, requests per second)` of the plain SQLite crowds in `results`, for `field`.
fn points(results: &Value, field: &str) -> Vec<(f64, f64)> {
    results["crowds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["label"] == "SQLite" && c["kept"] == false)
        .filter_map(|c| Some((c["people"].as_f64()?, c[field].as_f64()?)))
        .collect()
}

pub fn draw(after: &Value) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let before: Option<Value> = std::fs::read_to_string(root.join("benches/people-before.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let mut series = vec![
        (
            "/userinfo, after",
            points(after, "userinfo_rps"),
            BLUE,
            false,
        ),
        (
            "/healthz (ceiling), after",
            points(after, "healthz_rps"),
            BLUE,
            true,
        ),
    ];
    if let Some(before) = &before {
        series.push((
            "/userinfo, before",
            points(before, "userinfo_rps"),
            RED,
            false,
        ));
        series.push((
            "/healthz (ceiling), before",
            points(before, "healthz_rps"),
            RED,
            true,
        ));
    }
    let top = series
        .iter()
        .flat_map(|(_, p, _, _)| p.iter().map(|(_, y)| *y))
        .fold(0.0_f64, f64::max);
    if top == 0.0 {
        return None;
    }
    let out = root.join("docs/people.svg");
    let area = SVGBackend::new(&out, (760, 440)).into_drawing_area();
    area.fill(&WHITE).ok()?;
    let mut chart = ChartBuilder::on(&area)
        .caption(
            "GET /userinfo per second, by people sending requests (SQLite)",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d((0.5f64..2.0e6f64).log_scale(), 0.0..top * 1.1)
        .ok()?;
    chart
        .configure_mesh()
        .x_desc("people, each a session of their own (log scale)")
        .y_desc("requests per second")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{:.0}k", y / 1000.0))
        .draw()
        .ok()?;
    for (name, points, color, dashed) in series {
        let style = if dashed {
            color.mix(0.45).stroke_width(1)
        } else {
            color.stroke_width(2)
        };
        chart
            .draw_series(LineSeries::new(points.clone(), style))
            .ok()?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        if !dashed {
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .ok()?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .ok()?;
    area.present().ok()?;
    drop(chart);
    drop(area);
    Some(out)
}
