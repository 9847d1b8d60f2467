//! English and Korean: every string a page shows, and the choice of language. The fixed
//! strings are in [`texts`]; what each stable name means (timeline events, checks, attacks,
//! statuses) is in [`describe`], matched exhaustively on the enums of `vocab`.
//!
//! The language comes from `?lang=ko|en` (then remembered in a `lang` cookie), else from the
//! cookie, else from the browser's `Accept-Language`, else English.

pub mod api;
mod describe;
mod lesson;
mod texts;

pub use describe::{
    describe_attack, describe_detail, describe_event, describe_rule, describe_rule_failed,
    describe_status,
};
pub use lesson::{StepText, describe_step, step_page};
pub use texts::{EN, KO, Texts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// The language a page toggle offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ko,
            Lang::Ko => Lang::En,
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Ko => &KO,
        }
    }

    /// The best of our languages in an `Accept-Language` header, by its q-values.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// Query parameter first, then the remembered cookie, then the browser's wish.
    pub fn choose(
        query: Option<&str>,
        cookie: Option<&str>,
        accept_language: Option<&str>,
    ) -> Lang {
        query
            .and_then(Lang::parse)
            .or_else(|| cookie.and_then(Lang::parse))
            .or_else(|| accept_language.and_then(Lang::from_accept_language))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_beats_the_cookie_beats_the_browser() {
        assert_eq!(Lang::choose(Some("ko"), Some("en"), Some("en")), Lang::Ko);
        assert_eq!(Lang::choose(None, Some("ko"), Some("en")), Lang::Ko);
        assert_eq!(
            Lang::choose(Some("fr"), None, Some("ko-KR,ko;q=0.9")),
            Lang::Ko
        );
        assert_eq!(Lang::choose(None, None, None), Lang::En);
    }

    /// Templates print these without escaping; keep them free of HTML.
    #[test]
    fn fixed_strings_need_no_escaping() {
        use crate::vocab::{Attack, Event, Rule};
        for lang in [Lang::En, Lang::Ko] {
            let mut all = lang.texts().all();
            all.extend(Event::ALL.iter().map(|e| describe_event(lang, *e)));
            for attack in Attack::ALL {
                let (title, explanation) = describe_attack(lang, *attack);
                all.extend([title, explanation]);
            }
            all.extend(Rule::ALL.iter().map(|r| describe_rule(lang, *r)));
            all.extend(Rule::ALL.iter().map(|r| describe_rule_failed(lang, *r)));
            all.extend((400..600).filter_map(|s| describe_status(lang, s)));
            for text in all {
                assert!(!text.is_empty());
                assert!(!text.contains(['<', '>', '&', '"']), "{text}");
            }
        }
    }

    #[test]
    fn spans_of_time_in_each_language() {
        assert_eq!(EN.span(12), "12s");
        assert_eq!(EN.span(250), "4m 10s");
        assert_eq!(EN.span(86_400 + 3 * 3600 + 5), "1d 3h");
        assert_eq!(KO.span(250), "4분 10초");
        assert_eq!(KO.span(86_400 + 3 * 3600 + 5), "1일 3시간");
        let ko = describe_detail(
            Lang::Ko,
            &crate::vocab::Detail::ExpiredAgo {
                kind: "access",
                seconds: 1,
            },
        );
        assert_eq!(ko, "액세스 토큰이 1초 전에 만료");
    }

    #[test]
    fn accept_language_respects_q_values() {
        assert_eq!(
            Lang::from_accept_language("en;q=0.5, ko;q=0.8"),
            Some(Lang::Ko)
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, en-US;q=0.7, ko;q=0.3"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("ko;q=0, en;q=0.1"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language(";;;,q=,"), None);
    }
}
