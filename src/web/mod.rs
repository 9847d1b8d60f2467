//! The HTTP surface: one module per page or route group. Templates are filled only here.

pub mod cross_site;
pub mod demo;
pub mod inspect;
pub mod keys;
pub mod lab;
pub mod lineage;
pub mod login;
pub mod logout;
pub mod negotiate;
pub mod pages;
pub mod password;
pub mod security;
pub mod sessions;
pub mod signup;
pub mod two_servers;
pub mod userinfo;
