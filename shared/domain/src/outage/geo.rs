//! The polygon an operator draws, and the grid that finds the supply points inside it without
//! reading the whole table.

use serde::{Deserialize, Serialize};

use crate::billing::Coordinates;

/// The grid's cell size in degrees (about 1.1 km north–south).
const CELL_DEGREES: f64 = 0.01;
/// A polygon spanning more cells than this is refused: sectors are the tool for large areas.
pub const MAX_CELLS: usize = 2_500;

/// A GeoJSON `Polygon` geometry (RFC 7946): an outer ring, then holes; positions are
/// `[longitude, latitude]`; each ring is closed (first position = last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "RawPolygon", into = "RawPolygon")]
pub struct Polygon {
    rings: Vec<Vec<[f64; 2]>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawPolygon {
    /// Always `Polygon`.
    #[serde(rename = "type")]
    kind: String,
    coordinates: Vec<Vec<[f64; 2]>>,
}

impl TryFrom<RawPolygon> for Polygon {
    type Error = String;

    fn try_from(raw: RawPolygon) -> Result<Self, String> {
        if raw.kind != "Polygon" {
            return Err(format!("the area's geometry must be a GeoJSON Polygon, not {:?}", raw.kind));
        }
        let Some(outer) = raw.coordinates.first() else {
            return Err("the polygon has no ring: give `coordinates: [[[lon, lat], …]]`".to_owned());
        };
        if outer.is_empty() {
            return Err("the polygon's outer ring is empty".to_owned());
        }
        for (i, ring) in raw.coordinates.iter().enumerate() {
            if ring.len() < 4 || ring.first() != ring.last() {
                return Err(format!(
                    "ring {i} of the polygon must have at least 4 positions and end where it starts (GeoJSON rings are closed)"
                ));
            }
            if let Some([lon, lat]) =
                ring.iter().find(|[lon, lat]| !(-180.0..=180.0).contains(lon) || !(-90.0..=90.0).contains(lat))
            {
                return Err(format!(
                    "position [{lon}, {lat}] is not [longitude, latitude] in WGS 84 degrees (GeoJSON order is longitude first)"
                ));
            }
        }
        Ok(Self { rings: raw.coordinates })
    }
}

impl From<Polygon> for RawPolygon {
    fn from(polygon: Polygon) -> Self {
        Self { kind: "Polygon".to_owned(), coordinates: polygon.rings }
    }
}

impl Polygon {
    /// A polygon from closed `[lon, lat]` rings (the outer one first).
    pub fn new(rings: Vec<Vec<[f64; 2]>>) -> Result<Self, String> {
        Self::try_from(RawPolygon { kind: "Polygon".to_owned(), coordinates: rings })
    }

    /// Inside the outer ring and outside every hole (even–odd rule; the boundary may go either way).
    pub fn contains(&self, point: Coordinates) -> bool {
        let mut rings = self.rings.iter();
        rings.next().is_some_and(|outer| ring_contains(outer, point)) && !rings.any(|hole| ring_contains(hole, point))
    }

    /// The grid cells the outer ring's bounding box covers, or why there are too many.
    pub fn cells(&self) -> Result<Vec<GridCell>, String> {
        let outer = &self.rings[0];
        let (mut min, mut max) = ([f64::MAX; 2], [f64::MIN; 2]);
        for [lon, lat] in outer {
            min = [min[0].min(*lon), min[1].min(*lat)];
            max = [max[0].max(*lon), max[1].max(*lat)];
        }
        let (lo, hi) = (GridCell::of_lon_lat(min[0], min[1]), GridCell::of_lon_lat(max[0], max[1]));
        let count =
            usize::try_from((i64::from(hi.lat) - i64::from(lo.lat) + 1) * (i64::from(hi.lon) - i64::from(lo.lon) + 1))
                .unwrap_or(usize::MAX);
        if count > MAX_CELLS {
            return Err(format!(
                "the polygon spans {count} grid cells of {CELL_DEGREES}°, more than {MAX_CELLS}: target an area this large by network sectors"
            ));
        }
        Ok((lo.lat..=hi.lat).flat_map(|lat| (lo.lon..=hi.lon).map(move |lon| GridCell { lat, lon })).collect())
    }
}

fn ring_contains(ring: &[[f64; 2]], point: Coordinates) -> bool {
    let (x, y) = (point.lon, point.lat);
    let mut inside = false;
    for edge in ring.windows(2) {
        let ([x1, y1], [x2, y2]) = (edge[0], edge[1]);
        if (y1 > y) != (y2 > y) && x < (x2 - x1) * (y - y1) / (y2 - y1) + x1 {
            inside = !inside;
        }
    }
    inside
}

/// A cell of the 0.01° grid: supply points are indexed by the cell they are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GridCell {
    lat: i32,
    lon: i32,
}

impl GridCell {
    pub fn of(point: Coordinates) -> Self {
        Self::of_lon_lat(point.lon, point.lat)
    }

    #[allow(clippy::cast_possible_truncation)] // degrees / 0.01 is within ±18 000
    fn of_lon_lat(lon: f64, lat: f64) -> Self {
        Self { lat: (lat / CELL_DEGREES).floor() as i32, lon: (lon / CELL_DEGREES).floor() as i32 }
    }
}

impl std::fmt::Display for GridCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.lat, self.lon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lon: f64, lat: f64) -> Coordinates {
        serde_json::from_value(serde_json::json!({ "lat": lat, "lon": lon })).unwrap()
    }

    fn square_with_hole() -> Polygon {
        Polygon::new(vec![
            vec![[1.10, 41.15], [1.12, 41.15], [1.12, 41.17], [1.10, 41.17], [1.10, 41.15]],
            vec![[1.105, 41.155], [1.115, 41.155], [1.115, 41.165], [1.105, 41.165], [1.105, 41.155]],
        ])
        .unwrap()
    }

    #[test]
    fn points_inside_the_ring_and_outside_the_hole_are_contained() {
        let polygon = square_with_hole();
        assert!(polygon.contains(point(1.101, 41.151)));
        assert!(!polygon.contains(point(1.11, 41.16)), "inside the hole");
        assert!(!polygon.contains(point(1.13, 41.16)), "east of the square");
        assert!(!polygon.contains(point(1.11, 41.14)), "south of the square");
    }

    #[test]
    fn every_point_inside_is_in_one_of_the_cells() {
        let polygon = square_with_hole();
        let cells = polygon.cells().unwrap();
        for (lon, lat) in [(1.101, 41.151), (1.119, 41.169), (1.1199, 41.1501)] {
            assert!(cells.contains(&GridCell::of(point(lon, lat))), "{lon},{lat}");
        }
        assert!(cells.len() <= 9, "{}", cells.len());
    }

    #[test]
    fn a_continent_sized_polygon_is_refused_with_the_way_out() {
        let huge = Polygon::new(vec![vec![[0.0, 40.0], [3.0, 40.0], [3.0, 43.0], [0.0, 43.0], [0.0, 40.0]]]).unwrap();
        let error = huge.cells().unwrap_err();
        assert!(error.contains("network sectors"), "{error}");
    }

    #[test]
    fn malformed_geometries_say_what_is_wrong() {
        let open = serde_json::json!({"type": "Polygon", "coordinates": [[[1.0, 41.0], [1.1, 41.0], [1.1, 41.1]]]});
        let error = serde_json::from_value::<Polygon>(open).unwrap_err().to_string();
        assert!(error.contains("closed"), "{error}");
        let swapped = serde_json::json!({"type": "Polygon", "coordinates": [[[41.0, 100.0], [41.1, 1.0], [41.1, 1.1], [41.0, 100.0]]]});
        let error = serde_json::from_value::<Polygon>(swapped).unwrap_err().to_string();
        assert!(error.contains("longitude first"), "{error}");
        let point = serde_json::json!({"type": "Point", "coordinates": [[[1.0, 41.0]]]});
        let error = serde_json::from_value::<Polygon>(point).unwrap_err().to_string();
        assert!(error.contains("Polygon"), "{error}");
    }
}
