//! The catalogue's administrative indicators computed from the stored published tables (two
//! tables of counts each), for the portal and for `incity export --administrative`.

use incity_indicators::administrative::AdministrativeFigure;
use incity_indicators::catalogue::Catalogue;
use incity_indicators::official::TableObservation;

use crate::{PublishedObservation, Store, StoreError};

/// The figures, and per indicator whose tables do not fit its definition, the reason (such an
/// indicator is left out, so that one table never stops the others).
pub type AdministrativeFigures = (Vec<AdministrativeFigure>, Vec<(String, String)>);

impl Store {
    /// The figures of `catalogue`'s administrative indicators whose two tables are stored,
    /// newest year first within an indicator, then group and sex.
    pub async fn administrative_figures(
        &self,
        catalogue: &Catalogue,
    ) -> Result<AdministrativeFigures, StoreError> {
        let tables = self.published_tables().await?;
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        for ind in &catalogue.administrative {
            let table = |dataset: &str| tables.iter().find(|t| t.dataset == dataset);
            let (Some(num), Some(den)) = (
                table(&ind.numerator.dataset),
                table(&ind.denominator.dataset),
            ) else {
                continue;
            };
            let num_obs = self.published_observations(&num.dataset, None).await?;
            let den_obs = self.published_observations(&den.dataset, None).await?;
            fn view(o: &PublishedObservation) -> TableObservation<'_> {
                TableObservation {
                    key: &o.key,
                    time: &o.time,
                    value: o.value,
                    flags: &o.flags,
                    confidential: o.confidential,
                }
            }
            match ind.compute(
                (&num.dimensions, num_obs.iter().map(view)),
                (&den.dimensions, den_obs.iter().map(view)),
            ) {
                Ok(mut figures) => {
                    figures.sort_by(|a, b| {
                        (std::cmp::Reverse(a.year), &a.group, &a.sex).cmp(&(
                            std::cmp::Reverse(b.year),
                            &b.group,
                            &b.sex,
                        ))
                    });
                    out.extend(figures)
                }
                Err(e) => problems.push((ind.id.clone(), e.to_string())),
            }
        }
        Ok((out, problems))
    }
}
