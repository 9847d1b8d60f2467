//! Every page on a 390 px phone, in English and Korean: nothing scrolls sideways (wide tables
//! and diagrams scroll inside their own box, or stack), and the projector view makes the text
//! and drawings larger. Screenshots of each go to `target/screenshots/phone-*.png`.

use fantoccini::Locator;
use serde_json::Value;

use super::{Browser, browser_available};
use crate::helpers::{self, DEMO_PASSWORD, DEMO_USER, TestApp};

const PHONE_WIDTH: u32 = 390;

/// What sticks out past the right edge of the viewport on the current page: empty when the
/// page does not scroll sideways; else the page's width and the outermost elements that stick
/// out (an element inside a box that scrolls by itself does not count).
const OVERFLOW: &str = r#"
const width = document.documentElement.clientWidth;
if (document.documentElement.scrollWidth <= width) { return []; }
const scrolls = (el) => {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') { return true; }
  }
  return false;
};
const out = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.right > width + 1 && !scrolls(el) && !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1 && !scrolls(el.parentElement))) {
    out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' ' + Math.round(r.right) + 'px');
  }
}
return ['page ' + document.documentElement.scrollWidth + 'px wide'].concat(out.slice(0, 8));
"#;

async fn overflow(browser: &Browser) -> Vec<String> {
    let found: Value = browser.client().execute(OVERFLOW, vec![]).await.unwrap();
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Loads `url` and notes what overflows it, under `name`; a screenshot of it too.
async fn check(browser: &Browser, url: &str, name: &str, wide: &mut Vec<String>) {
    browser.client().goto(url).await.unwrap();
    let found = overflow(browser).await;
    if !found.is_empty() {
        wide.push(format!("{name}: {}", found.join(", ")));
    }
    browser.screenshot(&format!("phone-{name}")).await;
}

/// Every page a learner reaches in demo mode, logged in with a kept session, in `lang`.
async fn every_page(browser: &Browser, app: &TestApp, lang: &str, wide: &mut Vec<String>) {
    let page = |path: &str| {
        let sep = if path.contains('?') { '&' } else { '?' };
        app.url(&format!("{path}{sep}lang={lang}"))
    };
    browser.client().delete_all_cookies().await.unwrap();
    for path in ["/login", "/signup", "/how-it-works", "/api"] {
        let name = format!("{}-{lang}", path.trim_start_matches('/'));
        check(browser, &page(path), &name, wide).await;
    }
    browser.login(app, DEMO_USER, DEMO_PASSWORD, true).await;
    // A refresh first, so the lineage drawings have something to draw.
    browser.client().goto(&page("/userinfo")).await.unwrap();
    browser
        .click_and_wait("button[data-action=lose-answer]")
        .await;
    browser.client().goto(&page("/userinfo")).await.unwrap();
    for path in [
        "/userinfo",
        "/sessions",
        "/password",
        "/lesson",
        "/lab",
        "/demo/two-servers",
        "/how-it-works",
        "/api",
    ] {
        let name = format!("{}-{lang}", path.trim_start_matches('/').replace('/', "-"));
        check(browser, &page(path), &name, wide).await;
    }
    // The lab's verdict, the two servers' answers, the copied token's page.
    browser.client().goto(&page("/lab")).await.unwrap();
    browser
        .click_and_wait("#lab-form button[type=submit]")
        .await;
    check_here(browser, &format!("lab-verdict-{lang}"), wide).await;
    browser
        .client()
        .goto(&page("/demo/two-servers"))
        .await
        .unwrap();
    browser
        .click_and_wait("form[action='/demo/two-servers/copy'] button")
        .await;
    check_here(browser, &format!("copy-{lang}"), wide).await;
    // The theft and its evidence.
    browser.client().goto(&page("/userinfo")).await.unwrap();
    browser
        .click_and_wait("button[data-action=replay-refresh]")
        .await;
    assert_eq!(browser.path().await, "/demo/theft", "{lang}");
    check_here(browser, &format!("theft-{lang}"), wide).await;
    // Logged in again, the ended session is still on /sessions, with its lineage.
    browser.login(app, DEMO_USER, DEMO_PASSWORD, false).await;
    check(
        browser,
        &page("/sessions"),
        &format!("sessions-ended-{lang}"),
        wide,
    )
    .await;
    // The other site and the course-style client, each on its own origin.
    let (_, cross_port) = app.demo_ports.unwrap();
    let other = format!("http://localhost:{cross_port}/?lang={lang}");
    check(browser, &other, &format!("cross-site-{lang}"), wide).await;
    if let Some(port) = app.client_port {
        let client = format!("http://127.0.0.1:{port}/?lang={lang}");
        check(browser, &client, &format!("client-{lang}"), wide).await;
    }
    // A learner's own account, as it is shown once.
    browser.client().goto(&page("/login")).await.unwrap();
    browser
        .click_and_wait("form[data-action=own-demo-account] button")
        .await;
    check_here(browser, &format!("own-account-{lang}"), wide).await;
}

async fn check_here(browser: &Browser, name: &str, wide: &mut Vec<String>) {
    let found = overflow(browser).await;
    if !found.is_empty() {
        wide.push(format!("{name}: {}", found.join(", ")));
    }
    browser.screenshot(&format!("phone-{name}")).await;
}

#[tokio::test]
async fn no_page_scrolls_sideways_on_a_phone_in_either_language() {
    let Some(driver) = browser_available("no_page_scrolls_sideways_on_a_phone_in_either_language")
    else {
        return;
    };
    let browser = Browser::start_with(&driver, &["--window-size=390,844"]).await;
    browser
        .client()
        .set_window_size(PHONE_WIDTH, 844)
        .await
        .unwrap();
    let app = helpers::spawn_with(&[("DEMO_MODE", "true")]).await;
    browser.client().goto(&app.url("/login")).await.unwrap();
    let width: Value = browser
        .client()
        .execute("return document.documentElement.clientWidth", vec![])
        .await
        .unwrap();
    assert!(
        width.as_u64().is_some_and(|w| w <= u64::from(PHONE_WIDTH)),
        "a phone-sized viewport: {width}"
    );
    let mut wide = Vec::new();
    for lang in ["en", "ko"] {
        every_page(&browser, &app, lang, &mut wide).await;
    }
    assert!(
        wide.is_empty(),
        "pages wider than a phone:\n{}",
        wide.join("\n")
    );
    browser.close().await;
}

#[tokio::test]
async fn the_projector_view_is_larger_and_remembered() {
    let Some(driver) = browser_available("the_projector_view_is_larger_and_remembered") else {
        return;
    };
    let browser = Browser::start(&driver).await;
    let app = helpers::spawn_with(&[("DEMO_MODE", "true")]).await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;
    let size = |browser: &Browser| {
        let client = browser.client().clone();
        async move {
            let px: Value = client
                .execute(
                    "return parseFloat(getComputedStyle(document.body).fontSize)",
                    vec![],
                )
                .await
                .unwrap();
            px.as_f64().unwrap()
        }
    };
    browser.client().goto(&app.url("/sessions")).await.unwrap();
    let desk = size(&browser).await;
    browser
        .client()
        .goto(&app.url("/sessions?view=projector"))
        .await
        .unwrap();
    let projector = size(&browser).await;
    assert!(
        projector >= desk * 1.3,
        "projector type {projector}px against {desk}px"
    );
    browser.screenshot("projector-sessions").await;
    // Remembered on the next page, until switched back.
    browser.client().goto(&app.url("/userinfo")).await.unwrap();
    assert!(size(&browser).await >= desk * 1.3, "remembered");
    browser
        .client()
        .find(Locator::Css("a[data-link=view]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.client().goto(&app.url("/userinfo")).await.unwrap();
    assert_eq!(size(&browser).await, desk, "back at the desk");
    browser.close().await;
}

/// Every label of the sequence diagrams that does not fit where it is drawn: a note's text
/// wider than its box, a message's text wider than its arrow, an actor's name wider than its
/// box.
const LABELS_OUT: &str = r#"
const out = [];
for (const svg of document.querySelectorAll('svg.seq')) {
  for (const text of svg.querySelectorAll('text')) {
    let shape = text.previousElementSibling;
    // A message's second line (under its arrow) belongs to the same arrow.
    while (shape && shape.tagName === 'text' && text.classList.contains('seq-label')) {
      shape = shape.previousElementSibling;
    }
    if (!shape) { continue; }
    const t = text.getBBox();
    let room = null;
    if (text.classList.contains('seq-note-label') || text.classList.contains('seq-actor-label')) {
      const r = shape.getBBox();
      room = [r.x, r.x + r.width];
    } else if (text.classList.contains('seq-label') && shape.tagName === 'line') {
      const a = shape.x1.baseVal.value, b = shape.x2.baseVal.value;
      room = [Math.min(a, b) - 10, Math.max(a, b) + 10];
    }
    if (room && (t.x < room[0] - 0.5 || t.x + t.width > room[1] + 0.5)) {
      out.push(svg.dataset.diagram + ': "' + text.textContent + '" is ' + Math.round(t.width) + 'px in ' + Math.round(room[1] - room[0]) + 'px');
    }
  }
}
return out;
"#;

#[tokio::test]
async fn the_diagrams_labels_fit_their_boxes_in_both_languages() {
    let Some(driver) = browser_available("the_diagrams_labels_fit_their_boxes_in_both_languages")
    else {
        return;
    };
    let browser = Browser::start(&driver).await;
    let app = helpers::spawn().await;
    let mut out = Vec::new();
    for lang in ["en", "ko"] {
        let url = app.url(&format!("/how-it-works?lang={lang}"));
        browser.client().goto(&url).await.unwrap();
        let found: Value = browser.client().execute(LABELS_OUT, vec![]).await.unwrap();
        let diagrams: Value = browser
            .client()
            .execute("return document.querySelectorAll('svg.seq').length", vec![])
            .await
            .unwrap();
        assert_eq!(diagrams, 3, "{lang}: three diagrams to check");
        out.extend(
            found
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned)),
        );
    }
    assert!(
        out.is_empty(),
        "labels out of their boxes:\n{}",
        out.join("\n")
    );
    browser.close().await;
}
