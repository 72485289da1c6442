/**
 * Real airports of the DACH region and its neighbours, written from general knowledge for the
 * traffic simulator: reference point rounded to about 100 m, elevation in metres (rounded from
 * the published feet). Good enough for plausible traffic, not for navigation. `weight` is a rough
 * traffic share used to pick destinations (hubs draw more flights than regional fields).
 */
export interface Airport {
  iata: string
  icao: string
  name: string
  lat: number
  lon: number
  /** Metres above mean sea level. */
  elevation: number
  weight: number
}

// prettier-ignore
export const AIRPORTS: readonly Airport[] = Object.freeze([
  // Germany
  { iata: 'FRA', icao: 'EDDF', name: 'Frankfurt am Main', lat: 50.0333, lon: 8.5706, elevation: 111, weight: 10 },
  { iata: 'MUC', icao: 'EDDM', name: 'Munich', lat: 48.3538, lon: 11.7861, elevation: 453, weight: 9 },
  { iata: 'BER', icao: 'EDDB', name: 'Berlin Brandenburg', lat: 52.3667, lon: 13.5033, elevation: 48, weight: 6 },
  { iata: 'DUS', icao: 'EDDL', name: 'Düsseldorf', lat: 51.2895, lon: 6.7668, elevation: 45, weight: 5 },
  { iata: 'HAM', icao: 'EDDH', name: 'Hamburg', lat: 53.6304, lon: 9.9882, elevation: 16, weight: 5 },
  { iata: 'CGN', icao: 'EDDK', name: 'Cologne Bonn', lat: 50.8659, lon: 7.1427, elevation: 92, weight: 3 },
  { iata: 'STR', icao: 'EDDS', name: 'Stuttgart', lat: 48.6899, lon: 9.222, elevation: 389, weight: 3 },
  { iata: 'HAJ', icao: 'EDDV', name: 'Hannover', lat: 52.4611, lon: 9.6851, elevation: 56, weight: 2 },
  { iata: 'NUE', icao: 'EDDN', name: 'Nuremberg', lat: 49.4987, lon: 11.078, elevation: 319, weight: 2 },
  { iata: 'LEJ', icao: 'EDDP', name: 'Leipzig/Halle', lat: 51.4324, lon: 12.2416, elevation: 142, weight: 2 },
  { iata: 'DRS', icao: 'EDDC', name: 'Dresden', lat: 51.1328, lon: 13.7672, elevation: 230, weight: 1 },
  { iata: 'BRE', icao: 'EDDW', name: 'Bremen', lat: 53.0475, lon: 8.7867, elevation: 4, weight: 1 },
  { iata: 'FMO', icao: 'EDDG', name: 'Münster Osnabrück', lat: 52.1346, lon: 7.6848, elevation: 49, weight: 1 },
  { iata: 'DTM', icao: 'EDLW', name: 'Dortmund', lat: 51.5183, lon: 7.6122, elevation: 130, weight: 1 },
  { iata: 'PAD', icao: 'EDLP', name: 'Paderborn Lippstadt', lat: 51.6141, lon: 8.6163, elevation: 213, weight: 1 },
  { iata: 'FKB', icao: 'EDSB', name: 'Karlsruhe/Baden-Baden', lat: 48.7794, lon: 8.0805, elevation: 124, weight: 1 },
  { iata: 'FDH', icao: 'EDNY', name: 'Friedrichshafen', lat: 47.6713, lon: 9.5115, elevation: 417, weight: 1 },
  { iata: 'FMM', icao: 'EDJA', name: 'Memmingen', lat: 47.9888, lon: 10.2395, elevation: 633, weight: 1 },
  { iata: 'HHN', icao: 'EDFH', name: 'Frankfurt-Hahn', lat: 49.9487, lon: 7.2639, elevation: 503, weight: 1 },
  { iata: 'NRN', icao: 'EDLV', name: 'Weeze', lat: 51.6024, lon: 6.1421, elevation: 32, weight: 1 },
  { iata: 'SCN', icao: 'EDDR', name: 'Saarbrücken', lat: 49.2146, lon: 7.1095, elevation: 323, weight: 1 },
  { iata: 'ERF', icao: 'EDDE', name: 'Erfurt-Weimar', lat: 50.9798, lon: 10.9581, elevation: 316, weight: 1 },
  { iata: 'RLG', icao: 'ETNL', name: 'Rostock-Laage', lat: 53.9182, lon: 12.2783, elevation: 42, weight: 1 },
  // Austria
  { iata: 'VIE', icao: 'LOWW', name: 'Vienna', lat: 48.1103, lon: 16.5697, elevation: 183, weight: 7 },
  { iata: 'SZG', icao: 'LOWS', name: 'Salzburg', lat: 47.7933, lon: 13.0043, elevation: 430, weight: 2 },
  { iata: 'INN', icao: 'LOWI', name: 'Innsbruck', lat: 47.2602, lon: 11.344, elevation: 581, weight: 1 },
  { iata: 'GRZ', icao: 'LOWG', name: 'Graz', lat: 46.9911, lon: 15.4396, elevation: 340, weight: 1 },
  { iata: 'LNZ', icao: 'LOWL', name: 'Linz', lat: 48.2332, lon: 14.1875, elevation: 298, weight: 1 },
  { iata: 'KLU', icao: 'LOWK', name: 'Klagenfurt', lat: 46.6425, lon: 14.3377, elevation: 449, weight: 1 },
  // Switzerland
  { iata: 'ZRH', icao: 'LSZH', name: 'Zurich', lat: 47.4647, lon: 8.5492, elevation: 432, weight: 8 },
  { iata: 'GVA', icao: 'LSGG', name: 'Geneva', lat: 46.2381, lon: 6.1089, elevation: 430, weight: 5 },
  { iata: 'BSL', icao: 'LFSB', name: 'EuroAirport Basel Mulhouse Freiburg', lat: 47.5896, lon: 7.5299, elevation: 270, weight: 3 },
  { iata: 'BRN', icao: 'LSZB', name: 'Bern', lat: 46.9141, lon: 7.4971, elevation: 510, weight: 1 },
  { iata: 'LUG', icao: 'LSZA', name: 'Lugano', lat: 46.004, lon: 8.9106, elevation: 279, weight: 1 },
  { iata: 'SIR', icao: 'LSGS', name: 'Sion', lat: 46.2196, lon: 7.3268, elevation: 482, weight: 1 },
  // Neighbours
  { iata: 'CDG', icao: 'LFPG', name: 'Paris Charles de Gaulle', lat: 49.0097, lon: 2.5479, elevation: 119, weight: 9 },
  { iata: 'AMS', icao: 'EHAM', name: 'Amsterdam Schiphol', lat: 52.3086, lon: 4.7639, elevation: -3, weight: 9 },
  { iata: 'LHR', icao: 'EGLL', name: 'London Heathrow', lat: 51.47, lon: -0.4543, elevation: 25, weight: 8 },
  { iata: 'BRU', icao: 'EBBR', name: 'Brussels', lat: 50.9014, lon: 4.4844, elevation: 56, weight: 4 },
  { iata: 'LUX', icao: 'ELLX', name: 'Luxembourg', lat: 49.6233, lon: 6.2044, elevation: 376, weight: 2 },
  { iata: 'SXB', icao: 'LFST', name: 'Strasbourg', lat: 48.5383, lon: 7.6282, elevation: 154, weight: 1 },
  { iata: 'LYS', icao: 'LFLL', name: 'Lyon Saint-Exupéry', lat: 45.7256, lon: 5.0811, elevation: 250, weight: 2 },
  { iata: 'CPH', icao: 'EKCH', name: 'Copenhagen', lat: 55.6181, lon: 12.6561, elevation: 5, weight: 5 },
  { iata: 'BLL', icao: 'EKBI', name: 'Billund', lat: 55.7403, lon: 9.1518, elevation: 75, weight: 1 },
  { iata: 'PRG', icao: 'LKPR', name: 'Prague', lat: 50.1008, lon: 14.26, elevation: 380, weight: 4 },
  { iata: 'BRQ', icao: 'LKTB', name: 'Brno', lat: 49.1513, lon: 16.6944, elevation: 237, weight: 1 },
  { iata: 'WAW', icao: 'EPWA', name: 'Warsaw Chopin', lat: 52.1657, lon: 20.9671, elevation: 110, weight: 4 },
  { iata: 'KRK', icao: 'EPKK', name: 'Kraków', lat: 50.0777, lon: 19.7848, elevation: 241, weight: 2 },
  { iata: 'WRO', icao: 'EPWR', name: 'Wrocław', lat: 51.1027, lon: 16.8858, elevation: 123, weight: 1 },
  { iata: 'SZZ', icao: 'EPSC', name: 'Szczecin', lat: 53.5847, lon: 14.9022, elevation: 14, weight: 1 },
  { iata: 'BTS', icao: 'LZIB', name: 'Bratislava', lat: 48.1702, lon: 17.2127, elevation: 133, weight: 1 },
  { iata: 'BUD', icao: 'LHBP', name: 'Budapest', lat: 47.4298, lon: 19.2611, elevation: 151, weight: 3 },
  { iata: 'LJU', icao: 'LJLJ', name: 'Ljubljana', lat: 46.2237, lon: 14.4576, elevation: 388, weight: 1 },
  { iata: 'ZAG', icao: 'LDZA', name: 'Zagreb', lat: 45.7429, lon: 16.0688, elevation: 108, weight: 1 },
  { iata: 'MXP', icao: 'LIMC', name: 'Milan Malpensa', lat: 45.6306, lon: 8.7281, elevation: 234, weight: 4 },
  { iata: 'LIN', icao: 'LIML', name: 'Milan Linate', lat: 45.4451, lon: 9.2767, elevation: 108, weight: 2 },
  { iata: 'BGY', icao: 'LIME', name: 'Milan Bergamo', lat: 45.6739, lon: 9.7042, elevation: 238, weight: 2 },
  { iata: 'VCE', icao: 'LIPZ', name: 'Venice Marco Polo', lat: 45.5053, lon: 12.3519, elevation: 2, weight: 2 },
])
