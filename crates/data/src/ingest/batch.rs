//! Harmonised rows as Arrow record batches in the schema of the input store.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Builder, Int32Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use incity_reference::concepts::{self, ConceptKind, CONCEPTS};

use crate::DataError;

use super::harmonise::{derive, HarmonisedRow};

/// The Arrow schema of harmonised files: the concepts, then the derived columns.
pub fn harmonised_schema() -> SchemaRef {
    let fields: Vec<Field> = concepts::harmonised_columns()
        .map(|id| {
            let t = match concepts::concept(id).map(|c| c.kind) {
                Some(ConceptKind::Integer { .. }) => DataType::Int32,
                Some(ConceptKind::Weight | ConceptKind::Number) => DataType::Float64,
                _ => DataType::Utf8,
            };
            Field::new(id, t, true)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// Appends harmonised rows to Arrow builders and cuts record batches.
pub struct BatchBuilder {
    schema: SchemaRef,
    strings: Vec<Option<StringBuilder>>,
    ints: Vec<Option<Int32Builder>>,
    floats: Vec<Option<Float64Builder>>,
    rows: usize,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchBuilder {
    pub fn new() -> BatchBuilder {
        let schema = harmonised_schema();
        let n = schema.fields().len();
        let mut b = BatchBuilder {
            schema: schema.clone(),
            strings: (0..n).map(|_| None).collect(),
            ints: (0..n).map(|_| None).collect(),
            floats: (0..n).map(|_| None).collect(),
            rows: 0,
        };
        for (i, f) in schema.fields().iter().enumerate() {
            match f.data_type() {
                DataType::Int32 => b.ints[i] = Some(Int32Builder::new()),
                DataType::Float64 => b.floats[i] = Some(Float64Builder::new()),
                _ => b.strings[i] = Some(StringBuilder::new()),
            }
        }
        b
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends a row (concept values followed by the derived values).
    pub fn push(&mut self, row: &HarmonisedRow) {
        let derived = derive(row);
        for i in 0..self.schema.fields().len() {
            let value: Option<&str> = if i < CONCEPTS.len() {
                row[i].as_deref()
            } else {
                derived[i - CONCEPTS.len()]
            };
            if let Some(b) = &mut self.strings[i] {
                b.append_option(value);
            } else if let Some(b) = &mut self.ints[i] {
                b.append_option(value.and_then(|v| v.parse().ok()));
            } else if let Some(b) = &mut self.floats[i] {
                b.append_option(value.and_then(|v| v.parse().ok()));
            }
        }
        self.rows += 1;
    }

    /// Cuts a record batch of the rows pushed so far.
    pub fn finish(&mut self) -> Result<RecordBatch, DataError> {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for i in 0..self.schema.fields().len() {
            if let Some(b) = &mut self.strings[i] {
                columns.push(Arc::new(b.finish()));
            } else if let Some(b) = &mut self.ints[i] {
                columns.push(Arc::new(b.finish()));
            } else if let Some(b) = &mut self.floats[i] {
                columns.push(Arc::new(b.finish()));
            }
        }
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| DataError::Internal(e.to_string()))
    }
}
