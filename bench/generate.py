"""Synthetic districts for the rosterport benchmark (`passport-roster` data model).

    python bench/generate.py OUT_DIR --students N [--enrollments-per-student 8] [--seed 1]
        [--defects RATE] [--line-endings lf|crlf|cr|mixed] [--shape clever|sis|state]
        [--hostile none|dob|references|garbage]

`--shape` spells the same district as different exporters do (`SHAPES`: id widths, value
vocabulary, quoting, line endings); `--hostile` spoils it on purpose (`HOSTILE`: a whole
column refused, every reference broken, a file of junk).

Writes schools.csv, students.csv, teachers.csv, admins.csv, sections.csv and enrollments.csv
into OUT_DIR, then `defects.json` (written last, so its presence means the district is
complete): the parameters, the row count and line ending of each file, and per file and kind
how many defects were injected and on which spreadsheet rows (the header is row 1).

Everything is built column-wise with polars, without numpy and without a Python loop per row:
each pseudo-random column is a seeded hash of the row index (a counter-based generator), so
the same arguments always give the same files (for one polars version).

Scale for N students: schools max(3, N/1000), admins 2 per school, teachers N*0.06, sections
N*0.05 (at least enough for every school to offer k sections), enrollments N*k, every student
enrolled in k distinct sections of their own school.

Reusable from tests: `generate(out_dir, students, ...)` returns the same summary it writes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

ROW = "_row"  # the row index every pseudo-random column is derived from
MASK64 = (1 << 64) - 1
MAX_DEFECT_RATE = 0.14  # students take seven disjoint defect kinds: 7 × 0.14 < every row

# Word lists are kept several to a line: the formatter would give each item its own line.
# fmt: off
COLUMNS: dict[str, tuple[str, ...]] = {
    "schools.csv": (
        "School_id", "School_name", "School_number", "State_id", "Nces_id", "Low_grade",
        "High_grade", "Principal", "Principal_email", "School_address", "School_city",
        "School_state", "School_zip", "School_phone",
    ),
    "students.csv": (
        "School_id", "Student_id", "Student_number", "State_id", "Last_name", "Middle_name",
        "First_name", "Grade", "Gender", "DOB", "Race", "Hispanic_Latino", "Ell_status",
        "Frl_status", "IEP_status", "Section_504_status", "Gifted_status", "Home_language",
        "Graduation_year", "Student_street", "Student_city", "Student_state", "Student_zip",
        "Student_email", "Contact_name", "Contact_type", "Contact_relationship", "Contact_phone",
        "Contact_phone_type", "Contact_email", "Contact_sis_id", "Username", "Password",
    ),
    "teachers.csv": (
        "School_id", "Teacher_id", "Teacher_number", "State_teacher_id", "Last_name",
        "Middle_name", "First_name", "Teacher_email", "Title", "Username", "Password",
    ),
    "admins.csv": (
        "School_id", "Staff_id", "Admin_email", "First_name", "Last_name", "Admin_title",
        "Username", "Password",
    ),
    "sections.csv": (
        "School_id", "Section_id", "Teacher_id", "Teacher_2_id", "Name", "Section_number", "Grade",
        "Course_name", "Course_number", "Course_description", "Period", "Subject", "Term_name",
        "Term_start", "Term_end",
    ),
    "enrollments.csv": (
        "School_id", "Section_id", "Student_id",
    ),
}

LINE_ENDINGS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}
MIXED_CYCLE = ("crlf", "cr", "lf")

# --- the district's vocabulary ------------------------------------------------------------------

DISTRICT_DOMAIN = "springfieldps.org"
STUDENT_DOMAIN = "stu.springfieldps.org"
STATE = "MA"
CITIES = (  # (city, zip); Massachusetts ZIP codes start with 0, the classic Excel victim
    ("Springfield", "01103"),
    ("Springfield", "01104"),
    ("Springfield", "01105"),
    ("Springfield", "01107"),
    ("Springfield", "01108"),
    ("Springfield", "01109"),
    ("Springfield", "01118"),
    ("Springfield", "01119"),
    ("Springfield", "01128"),
    ("Springfield", "01129"),
    ("Chicopee", "01013"),
    ("Chicopee", "01020"),
    ("West Springfield", "01089"),
    ("Longmeadow", "01106"),
    ("East Longmeadow", "01028"),
    ("Ludlow", "01056"),
    ("Agawam", "01001"),
    ("Wilbraham", "01095"),
)
FIRST_NAMES = (
    "Liam", "Olivia", "Noah", "Emma", "Oliver", "Charlotte", "Elijah", "Amelia", "James", "Ava",
    "William", "Sophia", "Benjamin", "Isabella", "Lucas", "Mia", "Henry", "Evelyn", "Theodore",
    "Harper", "Jack", "Luna", "Levi", "Camila", "Alexander", "Gianna", "Jackson", "Elizabeth",
    "Mateo", "Eleanor", "Daniel", "Ella", "Michael", "Abigail", "Mason", "Sofia", "Sebastian",
    "Avery", "Ethan", "Scarlett", "Logan", "Emily", "Owen", "Aria", "Samuel", "Penelope", "Jacob",
    "Chloe", "Asher", "Layla", "Aiden", "Mila", "José", "María", "Zoë", "Chloé",
    "Mohammed", "Fatima", "Aaliyah", "DeShawn", "Priya", "Wei", "Yuki", "Santiago", "Ximena",
    "Jean-Luc", "Mary-Kate", "Aarav", "Ananya", "Kwame", "Amara", "Dmitri", "Anastasia", "Seamus",
    "Siobhan",
)
ADULT_FIRST_NAMES = (
    "Jennifer", "Michael", "Jessica", "Christopher", "Amanda", "Matthew", "Ashley", "Joshua",
    "Sarah", "David", "Stephanie", "Daniel", "Melissa", "James", "Nicole", "Robert", "Elizabeth",
    "John", "Heather", "Joseph", "Rosa", "Luis", "Carmen", "Juan", "Ana", "Carlos", "Thi", "Minh",
    "Hung", "Lan", "Olga", "Sergei", "Fatou", "Ibrahim", "Patricia", "Kevin", "Angela", "Brian",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "O'Brien", "O'Connor", "D'Angelo", "Smith-Jones",
    "García", "Muñoz", "Peña", "Ibáñez", "Kowalski", "Nowak", "Müller", "Dubois", "Tran", "Pham",
    "Kim", "Park", "Chen", "Wang", "Singh", "Patel", "Okafor", "Mensah", "Ivanova", "Rossi",
    "Russo", "Silva", "Santos", "Costa", "De La Cruz", "Van der Berg", "St. John", "Del Toro",
    "Mac Donald",
)
NICKNAMES = ('"Bo"', '"Max"', '"Lulu"', '"Tiny"', '"Sunny"', '"Jay"')
ACCENTED = ("á", "é", "í", "ó", "ú", "ñ", "ü", "ë", "ç")
PLAIN = ("a", "e", "i", "o", "u", "n", "u", "e", "c")
STREET_NAMES = (
    "Main St", "State St", "Maple Ave", "Oak St", "Elm St", "Sumner Ave", "Boston Rd", "Allen St",
    "Wilbraham Rd", "Parker St", "Dickinson St", "Belmont Ave", "Carew St", "Chestnut St",
    "Liberty St", "Roosevelt Ave",
)
UNITS = ("Apt 2", "Apt 3B", "Unit 12", "Apt 1R", "Fl 2")
LANGUAGES = ("English",) * 12 + (
    "Spanish",
    "Spanish",
    "Spanish",
    "Portuguese",
    "Vietnamese",
    "Arabic",
    "Russian",
    "Haitian Creole",
    "Somali",
    "Nepali",
)
RACES = ("W", "W", "W", "B", "B", "A", "M", "I", "P")
GENDERS = ("M", "M", "M", "M", "F", "F", "F", "F", "female", "male", "X")
YES_NO = ("N",) * 14 + ("Y",) * 4 + ("no", "yes")
HISPANIC = ("N",) * 6 + ("Y",) * 3 + ("no", "yes")
FRL = ("N", "N", "N", "F", "F", "R", "P")
CONTACT_TYPES = ("Parent/Guardian", "Parent/Guardian", "Parent/Guardian", "Emergency", "Primary")
RELATIONSHIPS = (
    "Mother", "Mother", "Mother", "Father", "Father", "Guardian", "Grandmother", "Grandfather",
    "Aunt", "Uncle", "Stepparent", "Other",
)
PHONE_TYPES = ("Cell", "Cell", "Cell", "Home", "Work")
MAIL_HOSTS = ("gmail.com", "gmail.com", "yahoo.com", "outlook.com", "comcast.net", "icloud.com")
PASSWORD_WORDS = ("tiger", "maple", "river", "rocket", "falcon", "cobalt", "sunny", "panda")
TEACHER_TITLES = (
    "Teacher",
    "Teacher",
    "Teacher",
    "Math Teacher",
    "Science Teacher",
    "Special Education Teacher",
    "Reading Specialist",
    "Teacher, ESL",
    "Librarian",
)
ADMIN_TITLES = ("Assistant Principal", "Dean of Students", "Office Manager, Front Office")
SCHOOL_NAMES = (
    "Lincoln", "Washington", "Jefferson", "Roosevelt", "Kennedy", "Adams", "Madison", "Franklin",
    "Emerson", "Thoreau", "Dickinson", "Alcott", "Hawthorne", "Longfellow", "Whitman", "Frost",
    "Brightwood", "Sumner", "Pine", "Point", "Liberty", "Glickman", "Bowles", "Brunton",
    "Chestnut", "Kiley", "Duggan", "Forest", "Park", "Putnam", "Sci-Tech", "Balliet", "Boland",
    "Homer", "Kensington", "Lynch", "Milton", "Bradley", "Talmadge", "Warner", "White", "Harris",
    "Gerena",
)
SCHOOL_KINDS = (  # (suffix, lowest grade number, highest grade number); Kindergarten = 0
    ("Elementary School", 0, 5),
    ("Middle School", 6, 8),
    ("High School", 9, 12),
)
CAMPUSES = (", North Campus", ", South Campus", " (Annex)")
SUBJECTS = (
    "English/language arts",
    "Math",
    "Science",
    "Social studies",
    "Language",
    "Homeroom/advisory",
    "Arts and music",
    "PE and health",
)
# (subject index, course name, course number prefix, description); some descriptions need quoting
ELEMENTARY_COURSES = (
    (5, "Homeroom", "HR", "Morning meeting, attendance and announcements"),
    (0, "Reading", "ELA", 'Phonics, fluency and "read-aloud" comprehension'),
    (0, "Writing", "ELA", "Handwriting, spelling, and short compositions"),
    (1, "Mathematics", "MTH", "Number sense, operations and early geometry"),
    (2, "Science", "SCI", "Hands-on science: plants, weather, and simple machines"),
    (3, "Social Studies", "SOC", "Community, maps and local history"),
    (6, "Art", "ART", "Drawing, painting, and clay"),
    (6, "Music", "MUS", 'Singing, rhythm and the "recorder karaoke" unit'),
    (7, "Physical Education", "PE", "Movement, games and teamwork"),
)
SECONDARY_COURSES = (
    (0, "English Language Arts", "ENG", "Literature, composition, and research writing"),
    (0, "AP English Literature", "ENG", 'College-level reading of "the classics", with essays'),
    (1, "Algebra I", "MTH", "Linear equations, functions, and inequalities"),
    (1, "Geometry", "MTH", "Proofs, congruence, similarity and trigonometry"),
    (1, "Algebra II", "MTH", "Polynomials, logarithms, and sequences"),
    (1, "Pre-Calculus", "MTH", "Functions, limits and vectors"),
    (2, "Biology", "SCI", "Cells, genetics, evolution, and ecology"),
    (2, "Chemistry", "SCI", "Matter, reactions and stoichiometry"),
    (2, "Physics", "SCI", 'Mechanics, waves and "the physics of sports"'),
    (3, "U.S. History", "SOC", "From colonization to the present, with primary sources"),
    (3, "World History", "SOC", "Civilizations, empires, and revolutions"),
    (3, "Civics", "SOC", "Government, rights and responsibilities"),
    (4, "Spanish I", "WL", "Introductory Spanish: greetings, family, and daily life"),
    (4, "French I", "WL", "Introductory French"),
    (5, "Advisory", "ADV", "Advisory, study skills and goal setting"),
    (6, "Band", "MUS", "Concert band; evening concerts required"),
    (6, "Studio Art", "ART", "Drawing, painting, and portfolio work"),
    (7, "Physical Education", "PE", "Fitness, sports, and lifelong activity"),
    (7, "Health", "HLT", "Nutrition, wellness and decision making"),
)
TERMS = (  # (name, start, end) as (year, month, day)
    ("2024-2025", (2024, 8, 28), (2025, 6, 13)),
    ("2024-2025", (2024, 8, 28), (2025, 6, 13)),
    ("2024-2025", (2024, 8, 28), (2025, 6, 13)),
    ("Fall 2024", (2024, 8, 28), (2025, 1, 17)),
    ("Spring 2025", (2025, 1, 21), (2025, 6, 13)),
)
# fmt: on


# --- scale and pseudo-random columns -------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """How many rows of each kind a district of `students` students has."""

    students: int
    per_student: int
    schools: int
    admins: int
    teachers: int
    sections: int


def plan_scale(students: int, per_student: int) -> Scale:
    """Derive the district's shape from its number of students."""
    schools = max(3, round(students / 1000))
    return Scale(
        students=students,
        per_student=per_student,
        schools=schools,
        admins=2 * schools,
        teachers=max(schools, round(students * 0.06)),
        sections=max(round(students * 0.05), schools * per_student),
    )


def seed_of(*parts: str | int) -> int:
    """A 64-bit hash seed mixing the given parts."""
    seed = 0
    for part in parts:
        seed = (seed * 0x100000001B3 + zlib.crc32(str(part).encode())) & MASK64
    return seed


class Draw:
    """Pseudo-random column expressions for one table: a seeded hash of the row index."""

    def __init__(self, seed: int, table: str) -> None:
        self._seed = seed
        self._table = table

    def u64(self, purpose: str) -> pl.Expr:
        """A uniform 64-bit value per row, independent for each purpose."""
        return pl.col(ROW).hash(seed_of(self._seed, self._table, purpose))

    def below(self, n: int | pl.Expr, purpose: str) -> pl.Expr:
        """A uniform integer in [0, n) per row (n may vary per row)."""
        bound = pl.lit(n, dtype=pl.UInt64) if isinstance(n, int) else n.cast(pl.UInt64)
        return self.u64(purpose) % bound

    def chance(self, p: float, purpose: str) -> pl.Expr:
        """True on a share p of the rows."""
        return self.below(1_000_000, purpose) < round(p * 1_000_000)

    def pick(self, values: Sequence[str], purpose: str) -> pl.Expr:
        """One of `values` per row, uniformly (repeat a value to weigh it)."""
        return choose(values, self.below(len(values), purpose))

    def digits(self, width: int, purpose: str) -> pl.Expr:
        """A string of `width` random digits."""
        return pad(self.below(10**width, purpose), width)


def choose(values: Sequence[str], index: pl.Expr) -> pl.Expr:
    """values[index] per row."""
    return pl.lit(pl.Series(values, dtype=pl.String)).gather(index)


def pad(number: pl.Expr, width: int) -> pl.Expr:
    """A number as text, zero-padded to at least `width` digits."""
    return number.cast(pl.String).str.zfill(width)


def rows(n: int) -> pl.DataFrame:
    """A frame of n rows holding only the row index."""
    return pl.select(pl.int_range(n, dtype=pl.UInt64).alias(ROW))


def slug(name: pl.Expr) -> pl.Expr:
    """A name as it appears in e-mail addresses and usernames: lower-case ASCII letters."""
    plain = name.str.to_lowercase().str.replace_many(ACCENTED, PLAIN)
    return plain.str.replace_all("[^a-z]", "")


def school_id(school: pl.Expr) -> pl.Expr:
    """School_id from a school index."""
    return pl.format("SCH{}", pad(school, 4))


def student_id(student: pl.Expr) -> pl.Expr:
    """Student_id from a student index: a nine-digit number as text."""
    return (student + 100_000_000).cast(pl.String)


def teacher_id(teacher: pl.Expr) -> pl.Expr:
    """Teacher_id from a teacher index."""
    return pl.format("T{}", pad(teacher, 6))


def section_id(section: pl.Expr) -> pl.Expr:
    """Section_id from a section index."""
    return pl.format("S{}", pad(section, 6))


def per_school(total: int, schools: int, school: pl.Expr) -> pl.Expr:
    """How many of `total` items round-robin assignment gives each school (item i → i % S)."""
    extra = (school < total % schools).cast(pl.UInt64)
    return pl.lit(total // schools, dtype=pl.UInt64) + extra


def kind_bound(kind: pl.Expr, position: int) -> pl.Expr:
    """The lowest (position 1) or highest (position 2) grade number of a school kind."""
    bounds = pl.Series([k[position] for k in SCHOOL_KINDS], dtype=pl.UInt64)
    return pl.lit(bounds).gather(kind)


def grade_text(grade: pl.Expr, draw: Draw) -> pl.Expr:
    """A grade number as districts spell it: Kindergarten or K, 1..12, sometimes 09."""
    kindergarten = pl.when(draw.chance(0.5, "k-style")).then(pl.lit("Kindergarten"))
    return (
        pl.when(grade == 0)
        .then(kindergarten.otherwise(pl.lit("K")))
        .when((grade == 9) & draw.chance(0.3, "09-style"))
        .then(pl.lit("09"))
        .otherwise(grade.cast(pl.String))
    )


def us_or_iso_date(year: pl.Expr, month: pl.Expr, day: pl.Expr, style: pl.Expr) -> pl.Expr:
    """A date in one of four styles: 0 M/D/YY, 1 MM/DD/YYYY, 2 M/D/YYYY, 3 YYYY-MM-DD."""
    mm, dd = pad(month, 2), pad(day, 2)
    return (
        pl.when(style == 0)
        .then(pl.format("{}/{}/{}", month, day, pad(year % 100, 2)))
        .when(style == 1)
        .then(pl.format("{}/{}/{}", mm, dd, year))
        .when(style == 2)
        .then(pl.format("{}/{}/{}", month, day, year))
        .otherwise(pl.format("{}-{}-{}", year, mm, dd))
    )


def phone(draw: Draw, purpose: str) -> pl.Expr:
    """A 413 phone number, formatted (413) 555-0123 or 413-555-0123."""
    line = draw.digits(4, purpose)
    exchange = pl.lit("555")
    return (
        pl.when(draw.chance(0.6, purpose + "-style"))
        .then(pl.format("(413) {}-{}", exchange, line))
        .otherwise(pl.format("413-{}-{}", exchange, line))
    )


def street(draw: Draw, purpose: str) -> pl.Expr:
    """A street address; some carry a unit after a comma (so the CSV value gets quoted)."""
    number = (draw.below(1990, purpose + "-number") + 10).cast(pl.String)
    base = pl.format("{} {}", number, draw.pick(STREET_NAMES, purpose + "-street"))
    unit = draw.pick(UNITS, purpose + "-unit")
    with_unit = pl.format("{}, {}", base, unit)
    return pl.when(draw.chance(0.15, purpose + "-has-unit")).then(with_unit).otherwise(base)


def password(draw: Draw, share: float) -> pl.Expr:
    """A starter password like maple4821 on a share of the rows; empty elsewhere."""
    value = pl.format("{}{}", draw.pick(PASSWORD_WORDS, "pw-word"), draw.digits(4, "pw-digits"))
    return pl.when(draw.chance(share, "pw-set")).then(value)


def optional(value: pl.Expr, draw: Draw, share: float, purpose: str) -> pl.Expr:
    """The value on a share of the rows, empty (null) elsewhere."""
    return pl.when(draw.chance(share, purpose)).then(value)


# --- the tables ---------------------------------------------------------------------------------


def build_admins(scale: Scale, seed: int) -> pl.DataFrame:
    """Two admins per school: its principal first, then an assistant principal or dean."""
    draw = Draw(seed, "admins")
    row = pl.col(ROW)
    frame = rows(scale.admins).with_columns(
        _school=row // 2,
        _principal=row % 2 == 0,
        First_name=draw.pick(ADULT_FIRST_NAMES, "first"),
        Last_name=draw.pick(LAST_NAMES, "last"),
    )
    email = pl.format(
        "{}.{}{}@{}",
        slug(pl.col("First_name")),
        slug(pl.col("Last_name")),
        row,
        pl.lit(DISTRICT_DOMAIN),
    )
    title = draw.pick(ADMIN_TITLES, "title")
    return frame.with_columns(
        School_id=school_id(pl.col("_school")),
        Staff_id=pl.format("A{}", pad(row, 5)),
        Admin_email=email,
        Admin_title=pl.when(pl.col("_principal")).then(pl.lit("Principal")).otherwise(title),
        Username=email,
        Password=password(draw, 0.2),
    )


def school_name(draw: Draw) -> pl.Expr:
    """Lincoln Elementary School, Adams Middle School No. 2, Frost High School, North Campus."""
    row = pl.col(ROW)
    unique = math.lcm(len(SCHOOL_NAMES), len(SCHOOL_KINDS))
    base = pl.format(
        "{} {}",
        choose(SCHOOL_NAMES, row % len(SCHOOL_NAMES)),
        choose([k[0] for k in SCHOOL_KINDS], row % len(SCHOOL_KINDS)),
    )
    numbered = pl.when(row >= unique).then(pl.format("{} No. {}", base, row // unique + 1))
    name = numbered.otherwise(base)
    campus = pl.format("{}{}", name, draw.pick(CAMPUSES, "campus"))
    return pl.when(draw.chance(0.1, "has-campus")).then(campus).otherwise(name)


def build_schools(scale: Scale, seed: int, admins: pl.DataFrame) -> pl.DataFrame:
    """Elementary, middle and high schools in turn; the principal comes from admins.csv."""
    draw = Draw(seed, "schools")
    row = pl.col(ROW)
    kind = row % len(SCHOOL_KINDS)
    city = draw.below(len(CITIES), "city")
    principals = admins.filter(pl.col("_principal")).select(
        pl.col("_school").alias(ROW),
        pl.format("{} {}", pl.col("First_name"), pl.col("Last_name")).alias("Principal"),
        pl.col("Admin_email").alias("Principal_email"),
    )
    frame = rows(scale.schools).with_columns(
        School_id=school_id(row),
        School_name=school_name(draw),
        School_number=pad(row + 100, 4),
        State_id=pad(row * 5 + 2_810_005, 8),
        Nces_id=pl.format("2511280{}", pad(row, 5)),
        Low_grade=grade_text(kind_bound(kind, 1), draw),
        High_grade=grade_text(kind_bound(kind, 2), draw),
        School_address=street(draw, "address"),
        School_city=choose([c[0] for c in CITIES], city),
        School_state=pl.lit(STATE),
        School_zip=choose([c[1] for c in CITIES], city),
        School_phone=phone(draw, "phone"),
    )
    return frame.join(principals, on=ROW, how="left").sort(ROW)


def build_teachers(scale: Scale, seed: int) -> pl.DataFrame:
    """Teachers spread round-robin over the schools (teacher i teaches at school i % S)."""
    draw = Draw(seed, "teachers")
    row = pl.col(ROW)
    frame = rows(scale.teachers).with_columns(
        First_name=draw.pick(ADULT_FIRST_NAMES, "first"),
        Last_name=draw.pick(LAST_NAMES, "last"),
    )
    local = pl.format("{}.{}{}", slug(pl.col("First_name")), slug(pl.col("Last_name")), row)
    initial = draw.pick(FIRST_NAMES, "middle").str.slice(0, 1)
    return frame.with_columns(
        School_id=school_id(row % scale.schools),
        Teacher_id=teacher_id(row),
        Teacher_number=pl.format("E{}", pad(row + 1, 6)),
        State_teacher_id=optional(pad(row + 4_000_000, 8), draw, 0.9, "has-state-id"),
        Middle_name=optional(initial, draw, 0.4, "has-middle"),
        Teacher_email=pl.format("{}@{}", local, pl.lit(DISTRICT_DOMAIN)),
        _email=pl.format("{}@{}", local, pl.lit(DISTRICT_DOMAIN)),
        Title=optional(draw.pick(TEACHER_TITLES, "title"), draw, 0.8, "has-title"),
        Username=local,
        Password=password(draw, 0.1),
    )


def course_field(kind: pl.Expr, course: pl.Expr, field: int) -> pl.Expr:
    """One field of the course a section teaches, from the elementary or secondary catalogue.

    Both branches of a when/then are evaluated on every row, so each index is kept in range.
    """
    elementary = [str(c[field]) for c in ELEMENTARY_COURSES]
    secondary = [str(c[field]) for c in SECONDARY_COURSES]
    return (
        pl.when(kind == 0)
        .then(choose(elementary, course % len(elementary)))
        .otherwise(choose(secondary, course % len(secondary)))
    )


def term_dates(draw: Draw) -> dict[str, pl.Expr]:
    """Term_name, Term_start and Term_end, the dates in one of three spellings per section."""
    styles = (1, 2, 3)  # MM/DD/YYYY, M/D/YYYY, YYYY-MM-DD (see us_or_iso_date)
    starts = [date_text(*term[1], style) for term in TERMS for style in styles]
    ends = [date_text(*term[2], style) for term in TERMS for style in styles]
    index = draw.below(len(TERMS), "term") * len(styles) + draw.below(len(styles), "term-style")
    return {
        "Term_name": choose([term[0] for term in TERMS for _ in styles], index),
        "Term_start": choose(starts, index),
        "Term_end": choose(ends, index),
    }


def date_text(year: int, month: int, day: int, style: int) -> str:
    """One date in one of the styles of us_or_iso_date, for the few fixed term dates."""
    spelled = {
        0: f"{month}/{day}/{year % 100:02d}",
        1: f"{month:02d}/{day:02d}/{year}",
        2: f"{month}/{day}/{year}",
        3: f"{year}-{month:02d}-{day:02d}",
    }
    return spelled[style]


def section_teachers(scale: Scale, draw: Draw) -> dict[str, pl.Expr]:
    """A teacher of the section's own school, and on some sections a second one."""
    school = pl.col(ROW) % scale.schools
    staff = per_school(scale.teachers, scale.schools, school)
    first = draw.below(staff, "teacher")
    others = (staff - 1).clip(lower_bound=1)
    second = (first + 1 + draw.below(others, "co-teacher")) % staff
    co_taught = (staff > 1) & draw.chance(0.1, "co-taught")
    return {
        "Teacher_id": teacher_id(school + first * scale.schools),
        "Teacher_2_id": pl.when(co_taught).then(teacher_id(school + second * scale.schools)),
    }


def build_sections(scale: Scale, seed: int) -> pl.DataFrame:
    """Sections round-robin over the schools (section i at school i % S), taught there."""
    draw = Draw(seed, "sections")
    row = pl.col(ROW)
    kind = row % scale.schools % len(SCHOOL_KINDS)
    low, high = kind_bound(kind, 1), kind_bound(kind, 2)
    grade = low + draw.below(high - low + 1, "grade")
    catalogue = pl.when(kind == 0).then(len(ELEMENTARY_COURSES)).otherwise(len(SECONDARY_COURSES))
    frame = rows(scale.sections).with_columns(
        _kind=kind,
        _grade=grade,
        _course=draw.below(catalogue, "course"),
        Period=(draw.below(8, "period") + 1).cast(pl.String),
        Section_number=pad(row // scale.schools + 1, 3),
    )
    course = pl.col("_course")
    name = course_field(pl.col("_kind"), course, 1)
    prefix = course_field(pl.col("_kind"), course, 2)
    return frame.with_columns(
        School_id=school_id(row % scale.schools),
        Section_id=section_id(row),
        **section_teachers(scale, draw),
        Name=pl.format("{} - Period {}", name, pl.col("Period")),
        Grade=grade_text(pl.col("_grade"), draw),
        Course_name=name,
        Course_number=pl.format("{}-{}{}", prefix, pad(pl.col("_grade"), 2), pad(course, 2)),
        Course_description=optional(
            course_field(pl.col("_kind"), course, 3), draw, 0.7, "has-description"
        ),
        Subject=choose(SUBJECTS, course_field(pl.col("_kind"), course, 0).cast(pl.UInt64)),
        **term_dates(draw),
    )


def student_basics(scale: Scale, draw: Draw) -> dict[str, pl.Expr]:
    """Ids, school, grade and names of each student (student i attends school i % S)."""
    row = pl.col(ROW)
    school = row % scale.schools
    kind = school % len(SCHOOL_KINDS)
    low, high = kind_bound(kind, 1), kind_bound(kind, 2)
    return {
        "_grade": low + draw.below(high - low + 1, "grade"),
        "School_id": school_id(school),
        "Student_id": student_id(row),
        "Student_number": (row + 2_000_000).cast(pl.String),
        "State_id": optional((row + 1_040_000_000).cast(pl.String), draw, 0.95, "has-sasid"),
        "First_name": draw.pick(FIRST_NAMES, "first"),
        "Last_name": draw.pick(LAST_NAMES, "last"),
        "Middle_name": middle_name(draw),
    }


def middle_name(draw: Draw) -> pl.Expr:
    """A full middle name, an initial, a quoted nickname, or nothing."""
    share = draw.below(100, "middle-kind")
    full = draw.pick(FIRST_NAMES, "middle")
    return (
        pl.when(share < 35)
        .then(full)
        .when(share < 60)
        .then(full.str.slice(0, 1))
        .when(share < 61)
        .then(draw.pick(NICKNAMES, "nickname"))
    )


def student_profile(draw: Draw) -> dict[str, pl.Expr]:
    """Demographics and programs: grade spelling, gender, birth date, flags, languages."""
    grade = pl.col("_grade").cast(pl.Int64)
    month = draw.below(12, "dob-month") + 1
    day = draw.below(28, "dob-day") + 1
    style = draw.below(2, "dob-style")  # M/D/YY or MM/DD/YYYY
    return {
        "Grade": grade_text(pl.col("_grade"), draw),
        "Gender": draw.pick(GENDERS, "gender"),
        "DOB": us_or_iso_date(2019 - grade, month, day, style),
        "Race": optional(draw.pick(RACES, "race"), draw, 0.93, "has-race"),
        "Hispanic_Latino": draw.pick(HISPANIC, "hispanic"),
        "Ell_status": draw.pick(YES_NO, "ell"),
        "Frl_status": optional(draw.pick(FRL, "frl"), draw, 0.9, "has-frl"),
        "IEP_status": draw.pick(YES_NO, "iep"),
        "Section_504_status": optional(draw.pick(YES_NO, "504"), draw, 0.7, "has-504"),
        "Gifted_status": optional(draw.pick(YES_NO, "gifted"), draw, 0.5, "has-gifted"),
        "Home_language": optional(draw.pick(LANGUAGES, "language"), draw, 0.85, "has-lang"),
        "Graduation_year": (2037 - grade).cast(pl.String),
    }


def student_home(draw: Draw) -> dict[str, pl.Expr]:
    """Address, school e-mail, username and password (hidden _email is always valid)."""
    city = draw.below(len(CITIES), "city")
    zip5 = choose([c[1] for c in CITIES], city)
    zip9 = pl.format("{}-{}", zip5, draw.digits(4, "zip4"))
    first, last = slug(pl.col("First_name")), slug(pl.col("Last_name"))
    username = pl.format("{}{}{}", first.str.slice(0, 1), last, pl.col(ROW))
    email = pl.format("{}@{}", username, pl.lit(STUDENT_DOMAIN))
    return {
        "Student_street": optional(street(draw, "home"), draw, 0.97, "has-street"),
        "Student_city": choose([c[0] for c in CITIES], city),
        "Student_state": pl.when(draw.chance(0.995, "in-state")).then(pl.lit(STATE)),
        "Student_zip": pl.when(draw.chance(0.2, "zip4")).then(zip9).otherwise(zip5),
        "_email": email,
        "Student_email": optional(email, draw, 0.9, "has-email"),
        "Username": username,
        "Password": password(draw, 0.7),
    }


def student_contact(draw: Draw) -> dict[str, pl.Expr]:
    """A parent or guardian on most students; 'Last, First' names need CSV quoting."""
    has = draw.chance(0.92, "has-contact")
    first = draw.pick(ADULT_FIRST_NAMES, "contact-first")
    last = (
        pl.when(draw.chance(0.85, "same-last"))
        .then(pl.col("Last_name"))
        .otherwise(draw.pick(LAST_NAMES, "contact-last"))
    )
    name = (
        pl.when(draw.chance(0.25, "comma-name"))
        .then(pl.format("{}, {}", last, first))
        .otherwise(pl.format("{} {}", first, last))
    )
    email = pl.format(
        "{}.{}{}@{}",
        slug(first),
        slug(last),
        draw.below(100, "contact-mail-n"),
        draw.pick(MAIL_HOSTS, "contact-host"),
    )
    return {
        "Contact_name": pl.when(has).then(name),
        "Contact_type": pl.when(has).then(draw.pick(CONTACT_TYPES, "contact-type")),
        "Contact_relationship": pl.when(has).then(draw.pick(RELATIONSHIPS, "relationship")),
        "Contact_phone": pl.when(has).then(phone(draw, "contact-phone")),
        "Contact_phone_type": pl.when(has).then(draw.pick(PHONE_TYPES, "phone-type")),
        "Contact_email": pl.when(has & draw.chance(0.75, "has-contact-email")).then(email),
        "Contact_sis_id": pl.when(has & draw.chance(0.8, "has-sis")).then(
            pl.format("C{}", pad(pl.col(ROW), 7))
        ),
    }


def build_students(scale: Scale, seed: int) -> pl.DataFrame:
    """All students; columns that depend on others are added in later passes."""
    draw = Draw(seed, "students")
    frame = rows(scale.students).with_columns(**student_basics(scale, draw))
    frame = frame.with_columns(**student_profile(draw), **student_home(draw))
    return frame.with_columns(**student_contact(draw))


def build_enrollments(scale: Scale, seed: int) -> pl.DataFrame:
    """k consecutive (hence distinct) sections of the student's school, from a random start."""
    draw = Draw(seed, "enrollments")
    row = pl.col(ROW)
    school = row % scale.schools
    offered = per_school(scale.sections, scale.schools, school)
    students = rows(scale.students).with_columns(
        _school=school, _offered=offered, _start=draw.below(offered, "start")
    )
    nth = pl.select(pl.int_range(scale.per_student, dtype=pl.UInt64).alias("_nth"))
    frame = students.join(nth, how="cross")
    local = (pl.col("_start") + pl.col("_nth")) % pl.col("_offered")
    return frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt64).alias(ROW),
        School_id=school_id(pl.col("_school")),
        Section_id=section_id(pl.col("_school") + local * scale.schools),
        Student_id=student_id(row),
    )


# --- defects ------------------------------------------------------------------------------------

DEFECT_ORDER = "_order"  # a random permutation of the rows: defect kinds take disjoint slices
DEFECT = "_defect"


@dataclass(frozen=True)
class DefectKind:
    """One kind of injected defect: which column it spoils and the spoiled value."""

    name: str
    column: str
    value: pl.Expr | None  # None: the row is copied (a duplicate key) instead


def student_defects(draw: Draw) -> list[DefectKind]:
    """Invalid DOB, missing Last_name or First_name, invalid grade, invalid e-mail, 4-digit
    ZIP, duplicated student row."""
    grade = pl.col("_grade").cast(pl.Int64)
    month, day = draw.below(7, "bad-month") + 13, draw.below(14, "bad-day") + 32
    email = pl.col("_email")
    variant = draw.below(3, "bad-email")
    bad_email = (
        pl.when(variant == 0)
        .then(email.str.replace("@", ".", literal=True))
        .when(variant == 1)
        .then(email.str.replace("@", "@@", literal=True))
        .otherwise(email.str.replace(".", " ", literal=True))
    )
    return [
        DefectKind("invalid_date", "DOB", pl.format("{}/{}/{}", month, day, 2019 - grade)),
        DefectKind("missing_required", "Last_name", pl.lit(None, dtype=pl.String)),
        DefectKind("missing_first_name", "First_name", pl.lit(None, dtype=pl.String)),
        DefectKind("invalid_grade", "Grade", pl.format("Grade {}", grade + 14)),
        DefectKind("invalid_email", "Student_email", bad_email),
        DefectKind("invalid_zip", "Student_zip", pl.col("Student_zip").str.slice(1, 4)),
        DefectKind("duplicate_key", "School_id+Student_id", None),
    ]


def teacher_defects(_: Draw) -> list[DefectKind]:
    """Missing Last_name and an e-mail address without @."""
    bad_email = pl.col("_email").str.replace("@", " at ", literal=True)
    return [
        DefectKind("missing_required", "Last_name", pl.lit(None, dtype=pl.String)),
        DefectKind("invalid_email", "Teacher_email", bad_email),
    ]


def enrollment_defects(_: Draw) -> list[DefectKind]:
    """Enrollments whose Student_id matches no student (ids from 900000000 up)."""
    orphan = pl.format("9{}", pad(pl.col(DEFECT_ORDER), 8))
    return [DefectKind("orphan_reference", "Student_id", orphan)]


DEFECT_KINDS: dict[str, Callable[[Draw], list[DefectKind]]] = {
    "students.csv": student_defects,
    "teachers.csv": teacher_defects,
    "enrollments.csv": enrollment_defects,
}


def inject(
    frame: pl.DataFrame, kinds: Sequence[DefectKind], rate: float, draw: Draw
) -> pl.DataFrame:
    """Spoil round(rate × rows) distinct rows per kind, in final file order.

    Kinds take disjoint slices of a random permutation of the rows, so no row carries two
    defects. A copied row is inserted after a random later row, so the copy is always the
    second occurrence of its key. DEFECT names the kind injected into each row.
    """
    per_kind = round(rate * frame.height)
    order = draw.u64("defect-order").rank("ordinal").cast(pl.UInt64) - 1
    frame = frame.with_columns(order.alias(DEFECT_ORDER))
    if per_kind == 0:
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias(DEFECT))
    slot = pl.col(DEFECT_ORDER) // per_kind
    marked = pl.when(slot < len(kinds)).then(
        choose([kind.name for kind in kinds], slot.clip(upper_bound=len(kinds) - 1))
    )
    copied = slot.is_in([i for i, kind in enumerate(kinds) if kind.value is None])
    frame = frame.with_columns(
        pl.when(slot == i).then(kind.value).otherwise(pl.col(kind.column)).alias(kind.column)
        for i, kind in enumerate(kinds)
        if kind.value is not None
    )
    originals = frame.with_columns(
        (pl.col(ROW) * 2).alias("_position"), pl.when(~copied).then(marked).alias(DEFECT)
    )
    later = pl.col(ROW) + draw.below(frame.height - pl.col(ROW), "copy-after")
    copies = frame.filter(copied).with_columns(
        (later * 2 + 1).alias("_position"), marked.alias(DEFECT)
    )
    return pl.concat([originals, copies]).sort("_position")


def defect_report(frame: pl.DataFrame, kinds: Sequence[DefectKind]) -> dict[str, Any]:
    """Per kind: the spoiled column, how many rows, and their spreadsheet rows (header = 1)."""
    lines = frame.select(pl.int_range(2, pl.len() + 2).alias("row"), DEFECT).drop_nulls(DEFECT)
    report: dict[str, Any] = {}
    for kind in kinds:
        hit = lines.filter(pl.col(DEFECT) == kind.name)["row"].to_list()
        report[kind.name] = {"column": kind.column, "count": len(hit), "rows": hit}
    return report


# --- shapes: the same district as other systems export it -------------------------------------


@dataclass(frozen=True)
class Shape:
    """How a district's files look: id widths, value vocabulary, quoting, line endings.

    `defects` is the defect rate bench/run.py asks for with this shape. Every shape holds the
    same people and relations; only the spelling differs, so a validator tuned to one
    exporter's habits shows up as a worse ratio on the others.
    """

    name: str
    summary: str
    ids: str  # clever: SCH0001, 100000000, T000001, S000001; uuid: 36 characters; numeric: 1, 2…
    vocabulary: str  # clever: mixed spellings; sis: long words; canonical: the stored forms
    quoting: str  # polars quote_style: "necessary" (only what must be) or "always"
    line_endings: str
    defects: float


SHAPES: dict[str, Shape] = {
    "clever": Shape(
        "clever",
        "Clever-like export: prefixed ids, mixed spellings (K, Kindergarten, 09, female), "
        "M/D/YY and ISO dates, quotes only where needed, LF",
        "clever",
        "clever",
        "necessary",
        "lf",
        0.0,
    ),
    "sis": Shape(
        "sis",
        "another SIS: 36-character UUID ids, every value quoted, CRLF, ISO dates, long words "
        "(Male, Yes, KG, 01, Free, White), title-case e-mail domains; 0.1% defects of every kind",
        "uuid",
        "sis",
        "always",
        "crlf",
        0.001,
    ),
    "state": Shape(
        "state",
        "a state extract: bare integer ids, values in their stored form (Kindergarten, M, Y), "
        "MM/DD/YYYY dates, quotes only where needed, LF; 0.1% defects of every kind",
        "numeric",
        "canonical",
        "necessary",
        "lf",
        0.001,
    ),
}

# Hostile variants of a district (on top of any shape):
#   dob         every DOB in a refused format (2010.05.17): 1 issue per student
#   references  every reference broken: schools.csv has other ids than every file naming a
#               school, and enrollments name unknown students and sections
#   garbage     schools.csv and a students.csv of N rows of junk (random tokens, commas,
#               quoted values, control characters; ~60 bytes a row), nothing else
HOSTILE = ("none", "dob", "references", "garbage")

ID_COLUMNS = ("School_id", "Student_id", "Teacher_id", "Teacher_2_id", "Section_id", "Staff_id")
DATE_COLUMNS = ("DOB", "Term_start", "Term_end")
GRADE_COLUMNS = ("Grade", "Low_grade", "High_grade")
YES_NO_COLUMNS = (
    "Hispanic_Latino", "Ell_status", "IEP_status", "Section_504_status", "Gifted_status",
)  # fmt: skip
EMAIL_COLUMNS = ("Student_email", "Teacher_email", "Admin_email", "Principal_email")
HEX = tuple("0123456789abcdef")


def uuid_like(value: pl.Expr) -> pl.Expr:
    """A 36-character lower-case hex id (8-4-4-4-12) derived from the value: the same value
    always gives the same id, so references still hold (and orphans stay orphans)."""
    halves = [value.hash(seed_of("uuid", n)) for n in (1, 2)]
    nibbles = [
        choose(HEX, (half // (16**i)) % 16) for half in halves for i in range(16)
    ]  # 32 hex digits
    groups = (nibbles[0:8], nibbles[8:12], nibbles[12:16], nibbles[16:20], nibbles[20:32])
    return pl.when(value.is_not_null()).then(
        pl.concat_str([pl.concat_str(g) for g in groups], separator="-")
    )


def numeric_id(value: pl.Expr) -> pl.Expr:
    """The id's digits as a bare integer: SCH0001 → 1, T000123 → 123."""
    digits = value.str.replace_all("[^0-9]", "")
    return pl.when(digits != "").then(digits.cast(pl.UInt64).cast(pl.String)).otherwise(value)


def any_date(value: pl.Expr) -> pl.Expr:
    """A date in any of the generator's spellings (null when it is not one)."""
    return (
        pl.when(value.str.contains(r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}$"))
        .then(value.str.to_date("%m/%d/%y", strict=False))
        .when(value.str.contains(r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$"))
        .then(value.str.to_date("%m/%d/%Y", strict=False))
        .otherwise(value.str.to_date("%Y-%m-%d", strict=False))
    )


def respelled_date(value: pl.Expr, pattern: str) -> pl.Expr:
    """A valid date written with `pattern`; anything else (a defect) as it was."""
    parsed = any_date(value)
    return pl.when(parsed.is_not_null()).then(parsed.dt.to_string(pattern)).otherwise(value)


def title_case_domain(value: pl.Expr) -> pl.Expr:
    """local@Springfieldps.Org: valid, but not in the stored (lower-case) form."""
    parts = value.str.extract_groups(r"^([^@]*)@(.*)$")
    domain = parts.struct.field("2").str.to_titlecase()
    return (
        pl.when(parts.struct.field("1").is_not_null())
        .then(pl.format("{}@{}", parts.struct.field("1"), domain))
        .otherwise(value)
    )


SIS_WORDS: dict[str, dict[str, str]] = {
    "grade": {"K": "KG", "Kindergarten": "KG", **{str(n): f"{n:02d}" for n in range(1, 13)}},
    "gender": {"M": "Male", "F": "Female", "female": "Female", "male": "Male"},
    "yes_no": {"Y": "Yes", "N": "No", "yes": "Yes", "no": "No"},
    "frl": {"F": "Free", "R": "Reduced", "P": "Paid"},
    "race": {
        "W": "White",
        "B": "Black or African American",
        "A": "Asian",
        "M": "Two or More Races",
        "I": "American Indian or Alaska Native",
        "P": "Native Hawaiian or Other Pacific Islander",
    },
}
CANONICAL_WORDS: dict[str, dict[str, str]] = {
    "grade": {"K": "Kindergarten", "09": "9"},
    "gender": {"female": "F", "male": "M"},
    "yes_no": {"yes": "Y", "no": "N"},
}


def respelled(frame: pl.DataFrame, shape: Shape) -> pl.DataFrame:
    """The frame's ids and values as `shape` spells them (defects stay defects)."""
    changes: dict[str, pl.Expr] = {}
    for column in ID_COLUMNS:
        if column in frame.columns and shape.ids != "clever":
            convert = uuid_like if shape.ids == "uuid" else numeric_id
            changes[column] = convert(pl.col(column))
    if shape.vocabulary != "clever":
        words = SIS_WORDS if shape.vocabulary == "sis" else CANONICAL_WORDS
        groups = {
            "grade": GRADE_COLUMNS,
            "gender": ("Gender",),
            "yes_no": YES_NO_COLUMNS,
            "frl": ("Frl_status",),
            "race": ("Race",),
        }
        for group, columns in groups.items():
            for column in columns:
                if column in frame.columns and group in words:
                    changes[column] = pl.col(column).replace(words[group])
        pattern = "%Y-%m-%d" if shape.vocabulary == "sis" else "%m/%d/%Y"
        for column in DATE_COLUMNS:
            if column in frame.columns:
                changes[column] = respelled_date(pl.col(column), pattern)
        if shape.vocabulary == "sis":
            for column in EMAIL_COLUMNS:
                if column in frame.columns:
                    changes[column] = title_case_domain(pl.col(column))
    return frame.with_columns(**changes) if changes else frame


def hostile_frame(frame: pl.DataFrame, name: str, hostile: str) -> pl.DataFrame:
    """The file as the hostile variant spoils it (after shape and defects)."""
    if hostile == "dob" and name == "students.csv":
        return frame.with_columns(pl.col("DOB").str.replace_all("[/-]", "."))
    if hostile == "references":
        broken = {
            "schools.csv": ("School_id",),
            "enrollments.csv": ("Section_id", "Student_id"),
        }.get(name, ())
        return frame.with_columns(pl.format("X{}", pl.col(c)).alias(c) for c in broken)
    return frame


GARBAGE_TOKENS = (
    "Smith", "O'Brien", "Zoë", "12/31/2010", "2010-13-45", "N", "K", "x@y", "@@", "9999999999",
    "SCH0001", "1e+09", "  padded  ", "\x07", "\x1b[31m", "∑", "😀", "=cmd|' /C calc'!A0", "",
    "NULL", "-", "+1", "\t", "\u202e", "Ω", "ü", "a b c", "Lorem", "ipsum", "123", "0", "TRUE",
    '"Doe, Jane"', '"say ""hi"""', '"multi, comma, value"', '""',
)  # fmt: skip
GARBAGE_SEPARATORS = (",", ",", ",", ",", ",", ", ", ",,", ",;")


def garbage_lines(n: int, seed: int) -> pl.DataFrame:
    """`n` lines of junk that still parse as CSV (quotes balanced): 1 to 16 random tokens
    joined by random separators, so field counts are all over the place and almost no value
    is valid where it lands."""
    draw = Draw(seed, "garbage")
    count = draw.below(16, "count") + 1
    parts = [
        pl.when(count > i)
        .then(
            pl.concat_str(
                draw.pick(GARBAGE_TOKENS, f"token-{i}"),
                pl.when(count > i + 1)
                .then(draw.pick(GARBAGE_SEPARATORS, f"sep-{i}"))
                .otherwise(pl.lit("")),
            )
        )
        .otherwise(pl.lit(""))
        for i in range(16)
    ]
    return rows(n).select(pl.concat_str(parts).alias("line"))


# --- writing ------------------------------------------------------------------------------------


def line_endings_for(style: str, seed: int) -> dict[str, str]:
    """The line-ending name of each file: one style for all, or crlf/cr/lf in turn ('mixed')."""
    if style != "mixed":
        return dict.fromkeys(COLUMNS, style)
    return {name: MIXED_CYCLE[(i + seed) % 3] for i, name in enumerate(COLUMNS)}


def emit(
    summary: dict[str, Any],
    out_dir: Path,
    name: str,
    frame: pl.DataFrame,
    *,
    rate: float,
    seed: int,
    shape: Shape,
    hostile: str,
) -> None:
    """Inject the file's defect kinds, spell it as `shape` does, spoil it as `hostile` says,
    write its visible columns as RFC 4180 CSV, record it."""
    if name in DEFECT_KINDS:
        draw = Draw(seed, "defects " + name)
        kinds = DEFECT_KINDS[name](draw)
        frame = inject(frame, kinds, rate, draw)
        summary["defects"][name] = defect_report(frame, kinds)
    frame = hostile_frame(respelled(frame.select(COLUMNS[name]), shape), name, hostile)
    path = out_dir / name
    ending = LINE_ENDINGS[summary["line_endings"][name]]
    frame.write_csv(path, line_terminator=ending, quote_style=shape.quoting)  # type: ignore[arg-type]  # a polars quote style name
    summary["rows"][name] = frame.height
    summary["bytes"][name] = path.stat().st_size


def emit_garbage(summary: dict[str, Any], out_dir: Path, students: int, seed: int) -> None:
    """students.csv as a header row and `students` lines of junk, written as they are."""
    path = out_dir / "students.csv"
    ending = LINE_ENDINGS[summary["line_endings"]["students.csv"]]
    with path.open("wb") as out:
        out.write((",".join(COLUMNS["students.csv"]) + ending).encode())
        lines = garbage_lines(students, seed)
        lines.write_csv(out, include_header=False, quote_style="never", line_terminator=ending)
    summary["rows"]["students.csv"] = students
    summary["bytes"]["students.csv"] = path.stat().st_size


def source_digest() -> str:
    """A digest of this file: districts made by an older generator are not reused."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def check_arguments(
    students: int, per_student: int, defects: float, line_endings: str, *, shape: str, hostile: str
) -> None:
    """Raise ValueError for arguments the generator cannot honour."""
    if students < 1 or per_student < 1:
        raise ValueError("students and enrollments per student must be at least 1")
    if not 0 <= defects <= MAX_DEFECT_RATE:
        raise ValueError(f"the defect rate must be between 0 and {MAX_DEFECT_RATE}")
    if line_endings not in (*LINE_ENDINGS, "mixed"):
        raise ValueError(f"line endings must be lf, crlf, cr or mixed, not {line_endings!r}")
    if shape not in SHAPES:
        raise ValueError(f"the shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    if hostile not in HOSTILE:
        raise ValueError(f"hostile must be one of {', '.join(HOSTILE)}, not {hostile!r}")


def generate(
    out_dir: Path,
    students: int,
    *,
    enrollments_per_student: int = 8,
    seed: int = 1,
    defects: float = 0.0,
    line_endings: str | None = None,
    shape: str = "clever",
    hostile: str = "none",
) -> dict[str, Any]:
    """Write a synthetic district into out_dir; return (and write as defects.json) its summary.

    The summary holds the arguments and a digest of this file ("generator"); "rows", "bytes"
    and "line_endings" per file; "defects" per file and kind ({"column", "count", "rows"});
    and the "seconds" it took. `line_endings` None: the shape's.
    """
    spelling = SHAPES.get(shape, SHAPES["clever"])
    endings = line_endings or spelling.line_endings
    check_arguments(
        students, enrollments_per_student, defects, endings, shape=shape, hostile=hostile
    )
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "defects.json").unlink(missing_ok=True)  # written last: marks a complete district
    for old in out_dir.glob("*.csv"):  # a garbage district has fewer files than a full one
        old.unlink()
    scale = plan_scale(students, enrollments_per_student)
    summary: dict[str, Any] = {
        "generator": {
            "students": students,
            "enrollments_per_student": enrollments_per_student,
            "seed": seed,
            "defects": defects,
            "line_endings": endings,
            "shape": shape,
            "hostile": hostile,
            "source": source_digest(),
        },
        "rows": {},
        "bytes": {},
        "line_endings": line_endings_for(endings, seed),
        "defects": {},
        "note": "defect rows are spreadsheet rows: the header is row 1, the first record row 2",
    }
    admins = build_admins(scale, seed)
    builders: list[tuple[str, Callable[[], pl.DataFrame]]] = [
        ("schools.csv", lambda: build_schools(scale, seed, admins)),
        ("admins.csv", lambda: admins),
        ("teachers.csv", lambda: build_teachers(scale, seed)),
        ("sections.csv", lambda: build_sections(scale, seed)),
        ("students.csv", lambda: build_students(scale, seed)),
        ("enrollments.csv", lambda: build_enrollments(scale, seed)),
    ]
    if hostile == "garbage":
        name, build = builders[0]
        emit(summary, out_dir, name, build(), rate=0.0, seed=seed, shape=spelling, hostile="none")
        emit_garbage(summary, out_dir, students, seed)
    else:
        for name, build in builders:
            emit(
                summary,
                out_dir,
                name,
                build(),
                rate=defects,
                seed=seed,
                shape=spelling,
                hostile=hostile,
            )
    summary["seconds"] = round(time.perf_counter() - started, 3)
    (out_dir / "defects.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path, help="folder to write the district into")
    parser.add_argument("--students", type=int, required=True, help="number of students")
    parser.add_argument("--enrollments-per-student", type=int, default=8, metavar="K")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--defects", type=float, default=0.0, metavar="RATE", help="share of rows per defect kind"
    )
    parser.add_argument(
        "--line-endings",
        choices=("lf", "crlf", "cr", "mixed"),
        default=None,
        help="default: the shape's",
    )
    parser.add_argument("--shape", choices=tuple(SHAPES), default="clever")
    parser.add_argument("--hostile", choices=HOSTILE, default="none")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate a district and print one line per file."""
    args = parse_args(argv)
    try:
        summary = generate(
            args.out_dir,
            args.students,
            enrollments_per_student=args.enrollments_per_student,
            seed=args.seed,
            defects=args.defects,
            line_endings=args.line_endings,
            shape=args.shape,
            hostile=args.hostile,
        )
    except ValueError as error:
        print(f"generate.py: {error}", file=sys.stderr)
        return 2
    for name, count in summary["rows"].items():
        size = summary["bytes"][name] / 1e6
        print(f"{name:<16} {count:>10,} rows {size:>9.1f} MB  {summary['line_endings'][name]}")
    total = sum(summary["bytes"].values()) / 1e6
    print(f"{'total':<16} {sum(summary['rows'].values()):>10,} rows {total:>9.1f} MB", end="")
    print(f"  in {summary['seconds']:.1f} s → {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
