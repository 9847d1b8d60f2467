//! Where each module registers its own routes (`configure(routes)`). A route's template is also
//! its name, which request metrics and logs are labelled with (never a raw path). Registering
//! through [`Routes`] also records the template, so the metrics learn every route from the
//! same calls that mount them, with no list kept in step by hand.

use actix_web::{Resource, web};

pub struct Routes<'a> {
    /// `None` while only the templates are being gathered.
    config: Option<&'a mut web::ServiceConfig>,
    templates: Vec<&'static str>,
}

impl<'a> Routes<'a> {
    /// Routes mounted on an app being built (once per worker).
    pub fn new(config: &'a mut web::ServiceConfig) -> Self {
        Self {
            config: Some(config),
            templates: Vec::new(),
        }
    }

    /// Routes only listed: their templates, for the metrics.
    pub fn templates_only() -> Routes<'static> {
        Routes {
            config: None,
            templates: Vec::new(),
        }
    }

    /// Mounts the resource at `template`, named after it; `build` adds its methods.
    pub fn add(
        &mut self,
        template: &'static str,
        build: impl FnOnce(Resource) -> Resource,
    ) -> &mut Self {
        self.templates.push(template);
        if let Some(config) = self.config.as_deref_mut() {
            config.service(build(web::resource(template).name(template)));
        }
        self
    }

    /// Records a template served by something other than a resource (the static files).
    pub fn note(&mut self, template: &'static str) -> &mut Self {
        self.templates.push(template);
        self
    }

    /// Every template registered so far.
    pub fn into_templates(self) -> Vec<&'static str> {
        self.templates
    }
}
