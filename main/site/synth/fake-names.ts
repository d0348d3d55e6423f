// Small built-in lists for fake identities. Every person, address and hospital here is invented;
// the lists only need to look like what a real PACS holds (apostrophes, hyphens, short and long names).

// prettier-ignore
export const GIVEN_NAMES = [
  'James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth',
  'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen',
  'Christopher', 'Nancy', 'Daniel', 'Lisa', 'Matthew', 'Betty', 'Anthony', 'Margaret', 'Mark', 'Sandra',
  'Donald', 'Ashley', 'Steven', 'Kimberly', 'Paul', 'Emily', 'Andrew', 'Donna', 'Joshua', 'Michelle',
  'Kenneth', 'Dorothy', 'Kevin', 'Carol', 'Brian', 'Amanda', 'George', 'Melissa', 'Edward', 'Deborah',
  'Ronald', 'Stephanie', 'Timothy', 'Rebecca', 'Jason', 'Sharon', 'Jeffrey', 'Laura', 'Ryan', 'Cynthia',
  'Jacob', 'Kathleen', 'Gary', 'Amy', 'Nicholas', 'Shirley', 'Eric', 'Angela', 'Jonathan', 'Helen',
  'Stephen', 'Anna', 'Larry', 'Brenda', 'Justin', 'Pamela', 'Scott', 'Nicole', 'Brandon', 'Emma',
  'Benjamin', 'Samantha', 'Samuel', 'Katherine', 'Gregory', 'Christine', 'Frank', 'Debra', 'Alexander',
  'Rachel', 'Raymond', 'Catherine', 'Patrick', 'Carolyn', 'Jack', 'Janet', 'Dennis', 'Ruth', 'Jerry',
  'Maria', 'Tyler', 'Heather', 'Aaron', 'Diane', 'Jose', 'Virginia', 'Adam', 'Julie', 'Henry', 'Joyce',
  'Nathan', 'Victoria', 'Douglas', 'Olivia', 'Zachary', 'Kelly', 'Peter', 'Christina', 'Kyle', 'Lauren',
  'Aoife', 'Siobhan', 'Oluwaseun', 'Chidi', 'Priya', 'Arjun', 'Mei', 'Hiroshi', 'Yusuf', 'Fatima',
] as const;

// prettier-ignore
export const FAMILY_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green',
  'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Gomez',
  'Phillips', 'Evans', 'Turner', 'Diaz', 'Parker', 'Cruz', 'Edwards', 'Collins', 'Reyes', 'Stewart',
  'Morris', 'Morales', 'Murphy', 'Cook', 'Rogers', 'Gutierrez', 'Ortiz', 'Morgan', 'Cooper', 'Peterson',
  'Bailey', 'Reed', 'Kelly', 'Howard', 'Ramos', 'Kim', 'Cox', 'Ward', 'Richardson', 'Watson', 'Brooks',
  'Chavez', 'Wood', 'James', 'Bennett', 'Gray', 'Mendoza', 'Ruiz', 'Hughes', 'Price', 'Alvarez',
  "O'Brien", "O'Connor", 'McAllister', 'Fitzgerald', 'Okafor', 'Adeyemi', 'Patel', 'Sharma', 'Tanaka',
  'Yamamoto', 'Chen', 'Wang', 'Kowalski', 'Novak', 'Schneider', 'Fischer', 'Dubois', 'Rossi', 'Haddad',
  'Van der Berg', 'De la Cruz', 'Lindqvist', 'Johansson', 'Muller', 'Byrne', 'Doyle', 'Gallagher',
] as const;

// prettier-ignore
export const STREETS = [
  'Maple Avenue', 'Oak Street', 'Elm Street', 'Cedar Lane', 'Pine Road', 'Birch Court', 'Willow Way',
  'Chestnut Drive', 'Hawthorn Close', 'Lakeview Terrace', 'Mill Road', 'Church Street', 'Station Road',
  'Victoria Road', 'Park Lane', 'Highland Avenue', 'Sunset Boulevard', 'Riverside Drive', 'Orchard Place',
  'Meadow Lane', 'Harbor View', 'Summit Avenue', 'Jefferson Street', 'Franklin Avenue', 'Washington Place',
  'Kingsway', 'Queens Crescent', 'Bridge Street', 'Quarry Lane', 'Foxglove Walk',
] as const;

/** City, state (or county) and a postcode prefix: enough to look like a postal address. */
// prettier-ignore
export const CITIES = [
  ['Springfield', 'IL', '627'], ['Riverton', 'WY', '825'], ['Fairview', 'OR', '970'],
  ['Greenville', 'SC', '296'], ['Madison', 'WI', '537'], ['Clinton', 'IA', '527'],
  ['Georgetown', 'TX', '786'], ['Salem', 'MA', '019'], ['Franklin', 'TN', '370'],
  ['Bristol', 'CT', '060'], ['Ashland', 'KY', '411'], ['Oxford', 'MS', '386'],
  ['Burlington', 'VT', '054'], ['Dover', 'DE', '199'], ['Hudson', 'NY', '125'],
  ['Kingston', 'RI', '028'], ['Milton', 'FL', '325'], ['Newport', 'OR', '973'],
  ['Auburn', 'AL', '368'], ['Lexington', 'NE', '688'],
] as const;

/** Area codes: the phone numbers are 555 exchange numbers, reserved for fiction. */
// prettier-ignore
export const AREA_CODES = ['217', '307', '503', '864', '608', '563', '512', '978', '615', '860'] as const;

// prettier-ignore
export const HOSPITAL_WORDS = [
  ['St. Mary', 'General Hospital'], ['Riverside', 'Medical Center'], ['Mercy', 'Hospital'],
  ['Good Samaritan', 'Hospital'], ['Valley', 'Regional Medical Center'], ['Lakeside', 'Clinic'],
  ['Northgate', 'University Hospital'], ['Providence', 'Health Center'], ['Holy Cross', 'Hospital'],
  ['Hillcrest', 'Memorial Hospital'], ['Bayview', 'Community Hospital'], ['Cedar Ridge', 'Medical Center'],
] as const;

// prettier-ignore
export const DEPARTMENTS = [
  'Radiology', 'Diagnostic Imaging', 'Thoracic Imaging', 'Emergency Radiology', 'Imaging Services',
] as const;

// prettier-ignore
export const MILITARY_RANKS = ['Private', 'Corporal', 'Sergeant', 'Lieutenant', 'Captain', 'Major'] as const;

// prettier-ignore
export const ETHNIC_GROUPS = ['White', 'Black', 'Asian', 'Hispanic', 'Other', 'Mixed'] as const;

/** Reasons a clinician writes in a request; the generator adds the patient's name and MRN to them. */
// prettier-ignore
export const CLINICAL_REASONS = [
  'persistent cough', 'f/u nodule', 'chest pain', 'dyspnoea on exertion', 'pre-op assessment',
  'weight loss', 'haemoptysis', 'smoker screening', 'fever and cough', 'abnormal CXR',
] as const;
