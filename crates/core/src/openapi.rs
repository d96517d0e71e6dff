//! OpenAPI schemas of the wire types (feature `openapi`): the views, events and actions derive
//! `utoipa::ToSchema`; the types that serialize as text by hand (quantities as decimal strings,
//! set references, thresholds) describe themselves here. The node serves the document.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A string schema with a description and a pattern.
pub fn text(description: &str, pattern: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .into()
}

/// `ToSchema` for a type that serializes as text.
macro_rules! text_schema {
    ($name:ty, $description:expr, $pattern:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::openapi::text($description, $pattern)
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use text_schema;

text_schema!(
    crate::ids::SetRef,
    "an operator set: `<service address>/<set id>`",
    "^0x[0-9a-fA-F]{40}/[0-9]+$"
);
text_schema!(
    crate::restaking::Threshold,
    "a fraction `p/q`",
    "^[0-9]+(/[0-9]+)?$"
);

impl<T> utoipa::PartialSchema for crate::num::OrAll<T> {
    fn schema() -> RefOr<Schema> {
        text(
            "`\"all\"` the signer holds, or an unsigned 128-bit integer as a decimal string",
            "^(all|[0-9]{1,39})$",
        )
    }
}
impl<T> utoipa::ToSchema for crate::num::OrAll<T> {}
