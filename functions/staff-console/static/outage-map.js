// The outage map (Leaflet, served by the console): a planner draws the area by clicking its
// corners, which fill the form's GeoJSON field; a dry run's supply points are shown on it. The
// form works without it: network sectors, or the GeoJSON typed.
(function () {
  'use strict';
  var element = document.getElementById('map');
  if (!element || !window.L) { return; }
  var map = L.map(element).setView([parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)], 16);
  window.avisaMap = map;
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: '© OpenStreetMap contributors' }).addTo(map);
  }
  var bounds = [];
  JSON.parse(element.dataset.points || '[]').forEach(function (p) {
    L.circleMarker(p, { radius: 5, color: '#1d70b8', weight: 2 }).addTo(map);
    bounds.push(p);
  });
  var area = JSON.parse(element.dataset.area || 'null');
  if (area) {
    var ring = area.coordinates[0].map(function (c) { return [c[1], c[0]]; });
    L.polygon(ring, { color: '#d4351c' }).addTo(map);
    bounds = bounds.concat(ring);
  }
  if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17 }); }

  var field = document.getElementById('polygon');
  var told = document.getElementById('corners');
  if (!field) { return; }
  var corners = [];
  var shape = L.polygon([], { color: '#d4351c' }).addTo(map);
  var round = function (x) { return Math.round(x * 1e6) / 1e6; };
  function update() {
    shape.setLatLngs(corners);
    var ring = corners.map(function (c) { return [round(c.lng), round(c.lat)]; });
    if (ring.length >= 3) {
      ring.push(ring[0]);
      field.value = JSON.stringify({ type: 'Polygon', coordinates: [ring] });
    } else {
      field.value = '';
    }
    told.textContent = corners.length + (corners.length === 1 ? ' corner' : ' corners') +
      (corners.length >= 3 ? ': the area is drawn' : ': click at least three');
  }
  map.on('click', function (e) { corners.push(e.latlng); update(); });
  document.getElementById('clear-area').addEventListener('click', function () { corners = []; update(); });
}());
