-- The elements of amoCRM's products list (or the list orders.products.catalog
-- names) that the shop's products became: product id (ms2_products /
-- ms3_products) -> element id in that list, with the hash of the element last
-- sent, so a product renamed or repriced in the shop updates its element when
-- it is next ordered. The deals' links to them and their tasks are ordinary
-- links and pending markers (kinds of their own).
CREATE TABLE IF NOT EXISTS {{prefix}}catalog_elements (
  catalog_id BIGINT      NOT NULL,
  product_id BIGINT      NOT NULL,
  element_id BIGINT      NOT NULL,
  hash       CHAR(64) CHARACTER SET ascii NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (catalog_id, product_id),
  KEY element_id (element_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
