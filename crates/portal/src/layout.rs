//! The page frame every HTML page shares: style, header, navigation, release line, footer.

use incity_store::StoredRelease;
use maud::{html, Markup, PreEscaped, DOCTYPE};

pub(crate) const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1f24;background:#fff;line-height:1.45}
header{background:#0b3d5c;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.5rem;align-items:baseline;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header .brand{font-weight:700;font-size:1.3rem}
main{max-width:72rem;margin:0 auto;padding:1rem 1.2rem}
.synthetic{background:#fff4d6;border:1px solid #e0b84c;padding:.5rem .8rem;margin:.8rem 0;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{padding:.3rem .5rem;border-bottom:1px solid #dde3e8;text-align:left;vertical-align:middle}
th{background:#f2f5f7;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.gap td{color:#4a5560;font-style:italic}td.official{color:#0b3d5c;background:#f4f8fb}.official-flag{color:#8a5a00}.flag-c{color:#8a1c1c;font-weight:600}.flag-u{color:#8a5a00}tr.model td{background:#f6f2fb}.model-based{display:inline-block;padding:0 .35em;border:1px solid #5b3a8c;border-radius:3px;color:#5b3a8c;font-size:.85em;font-weight:600}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
footer{border-top:1px solid #dde3e8;margin-top:2rem;padding:1rem 1.2rem;font-size:.85rem;color:#4a5560}
nav.levels a{margin-right:1rem}code{background:#f2f5f7;padding:0 .2rem}
a{color:#0b5a8a}a:focus,button:focus,input:focus,select:focus{outline:3px solid #e07b00;outline-offset:2px}
header form{margin-left:auto}header input{padding:.25rem .4rem}
form.selector{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:end;background:#f2f5f7;padding:.7rem;border-radius:4px}
form.selector label{display:flex;flex-direction:column;font-size:.85rem}
.downloads a{margin-right:.8rem}.note{color:#4a5560;font-size:.9rem}
figure{margin:1rem 0}figure svg{width:100%;height:auto;max-width:60rem}figure.map svg{max-width:44rem}figcaption{font-size:.85rem;color:#4a5560}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1rem}
ul.notes li{color:#6b4500}div.scroll{overflow-x:auto}
.account-bar{display:flex;flex-wrap:wrap;gap:.3rem;align-items:center;background:#f2f5f7;padding:.4rem .7rem;border-radius:4px;margin:.6rem 0;font-size:.9rem}
form.inline{display:inline}form.stacked{display:flex;flex-direction:column;gap:.25rem;max-width:40rem;margin:.5rem 0}form.stacked button{align-self:flex-start;margin-top:.4rem}
form.stacked textarea,form.stacked input,form.stacked select{font:inherit;padding:.3rem}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.fields dt{font-weight:600}dl.fields dd{margin:0}
p.error{color:#8a1c1c;font-weight:600}article.practice{border-left:3px solid #0b5a8a;padding-left:.8rem;margin:1rem 0}details{margin:.5rem 0}summary{cursor:pointer;color:#0b5a8a}
@media (max-width:40rem){table{font-size:.8rem}th,td{padding:.2rem}header form{margin-left:0}}
@media print{header nav,header form,nav.levels,.download,.downloads,form.selector{display:none}th{position:static}a{color:inherit;text-decoration:none}section{break-inside:avoid}}
"#;

pub(crate) fn page(title: &str, release: Option<&StoredRelease>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · incity" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a.brand href="/" { "incity" }
                    nav aria-label="Main" {
                        a href="/explore" { "Explorer" } " "
                        a href="/compare" { "Compare" } " "
                        a href="/indicators" { "Indicators" } " "
                        a href="/plan" { "Precision planner" } " "
                        a href="/toolbox" { "Toolbox" } " "
                        a href="/glossary" { "Glossary" } " "
                        a href="/exchange" { "Exchange" } " "
                        a href="/methods" { "Methods" } " "
                        a href="/api/v1/openapi.json" { "API" }
                    }
                    form role="search" method="get" action="/search" {
                        label for="site-search" class="visually-hidden" { "Search cities, regions, indicators and terms" }
                        input #site-search type="search" name="q" placeholder="Search: Graz, employment…";
                        " " button type="submit" { "Search" }
                    }
                }
                main {
                    @if let Some(r) = release {
                        @if r.provenance.synthetic {
                            p.synthetic role="note" {
                                strong { "Synthetic demonstration data." }
                                " Every figure on this site is computed from simulated survey microdata, not from real respondents."
                            }
                        }
                    }
                    (body)
                }
                footer {
                    @if let Some(r) = release {
                        p {
                            "Release " (r.id) " · input " code { (r.provenance.input_file) }
                            " (SHA-256 " code { (&r.provenance.input_sha256[..12.min(r.provenance.input_sha256.len())]) } "…)"
                            " · catalogue " (r.provenance.catalogue_version)
                            " · incity " (r.provenance.software_version)
                        }
                        p { "Method: " (r.provenance.method) }
                    }
                    p { "Region names and codes: NUTS 2021, Source: Eurostat. Synthetic data with parameters from Eurostat tables (LFSA_ERGAN, LFSA_URGAN, ILC_DI15, HLTH_SILC_24, EDAT_LFS_9911, URB_CPOP1, URB_CPOPCB)." }
                }
            }
        }
    }
}
