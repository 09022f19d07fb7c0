pub mod small_domains;
