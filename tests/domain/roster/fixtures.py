"""Small districts as committed states (normalized values, one frame of strings per file),
written as CSV text for readability. Together they use every column the roster maps, and
every fallback (a username from the e-mail, a class title from the course name, …)."""

from __future__ import annotations

import io

import polars as pl

from rosterport.domain.production_state import conform_state
from rosterport.domain.roster import District
from rosterport.domain.schemas import get_model

DISTRICT = District("district-springfield", "Springfield Public Schools", "SPS-1")

# secrets: each appears in a Password / password cell and must never be delivered
SECRETS = ("pw-Student-1001", "pw-Teacher-86", "pw-Admin-A1", "pw-Staff-47", "pw-or-usr-s")


def _frame(model: str, file: str, text: str) -> pl.DataFrame:
    frame = pl.read_csv(io.StringIO(text.strip() + "\n"), infer_schema=False)
    return conform_state(get_model(model).file(file), frame)


def states(model: str, files: dict[str, str]) -> dict[str, pl.DataFrame]:
    return {name: _frame(model, name, text) for name, text in files.items()}


PASSPORT_FILES = {
    "schools.csv": """
School_id,School_name,School_number,State_id,Nces_id,Low_grade,High_grade,Principal,Principal_email,School_address,School_city,School_state,School_zip,School_phone
S1,Springfield High,101,ST-1,360001,9,12,Ann Lee,alee@example.org,1 Main St,Springfield,IL,62701,555-0101
S2,Evergreen Elementary,,ST-2,360002,Kindergarten,5,Bo Park,bpark@example.org,2 Elm St,Springfield,IL,62702,555-0102
""",
    "students.csv": """
School_id,Student_id,Student_number,State_id,Last_name,Middle_name,First_name,Grade,Gender,DOB,Race,Hispanic_Latino,Ell_status,Frl_status,IEP_status,Section_504_status,Gifted_status,Home_language,Graduation_year,Student_street,Student_city,Student_state,Student_zip,Student_email,Contact_name,Contact_type,Contact_relationship,Contact_phone,Contact_phone_type,Contact_email,Contact_sis_id,Username,Password
S2,1001,N-1001,ST-1001,Rivera,Q,Ana,9,F,2010-04-05,A,Y,N,F,N,N,Y,Spanish,2029,3 Oak St,Springfield,IL,62703,ana.rivera@example.org,Luz Rivera,parent,Mother,555-0199,cell,luz@example.org,C-1,arivera,pw-Student-1001
S1,1001,N-1001,ST-1001,Rivera,Q,Ana,9,F,2010-04-05,A,Y,N,F,N,N,Y,Spanish,2029,3 Oak St,Springfield,IL,62703,ana.rivera@example.org,Luz Rivera,parent,Mother,555-0199,cell,luz@example.org,C-1,arivera,pw-Student-1001
S1,1002,N-1002,,Okafor,,Chidi,Kindergarten,X,2019-09-30,M,N,,,,,,,,,,,,chidi@example.org,,,,,,,,,
S2,1003,,,Nguyen,,Lan,5,,,W,,,,,,,,,,,,,,,,,,,,,,
S1,86,N-86,,Smith,,Sam,10,M,2009-01-02,B,N,,,,,,,,,,,,,,,,,,,,sam86,
S1,teacher-5,,,Doe,,Jo,11,F,2008-02-03,I,,,,,,,,,,,,,,,,,,,,,jodoe,
S1,1004,,,Kahale,,Lei,11,F,2008-06-07,P,,,,,,,,,,,,,,,,,,,,,lkahale,
""",
    "teachers.csv": """
School_id,Teacher_id,Teacher_number,State_teacher_id,Last_name,Middle_name,First_name,Teacher_email,Title,Username,Password
S1,86,T-86,STT-86,Hauck,J,Haylie,hauck@example.org,English Teacher,hhauck,pw-Teacher-86
S1,87,T-87,,Glover,,Braeden,glover@example.org,,,
S2,88,,,Hahn,,Haley,,,,
S1,90,,,Two,,Co,,,co2,
S1,91,,,Three,,Co,,,co3,
S1,92,,,Four,,Co,,,co4,
S1,93,,,Five,,Co,,,co5,
S1,94,,,Six,,Co,,,co6,
S1,95,,,Seven,,Co,,,co7,
S1,96,,,Eight,,Co,,,co8,
S1,97,,,Nine,,Co,,,co9,
S1,98,,,Ten,,Co,,,co10,
""",
    "admins.csv": """
School_id,Staff_id,Admin_email,First_name,Last_name,Admin_title,Username,Password
S1,A1,principal@example.org,Theodora,Khan,Principal,tkhan,pw-Admin-A1
S2,A2,vp@example.org,Cecilia,Roderick,Vice principal,,
""",
    "sections.csv": """
School_id,Section_id,Teacher_id,Teacher_2_id,Teacher_3_id,Teacher_4_id,Teacher_5_id,Teacher_6_id,Teacher_7_id,Teacher_8_id,Teacher_9_id,Teacher_10_id,Name,Section_number,Grade,Course_name,Course_number,Course_description,Period,Subject,Term_name,Term_start,Term_end
S1,581,86,90,91,92,93,94,95,96,97,98,Algebra I (Period 3),1,9,Algebra I,MATH-1,Linear equations,3,Math,Fall,2025-08-20,2025-12-19
S1,582,87,86,,,,,,,,,,2,10,Algebra I,MATH-1,,4,Math,Fall,2025-08-20,2025-12-19
S2,583,88,,,,,,,,,,,,5,Reading,,,1,English/language arts,,2025-08-25,2026-06-10
S2,584,88,,,,,,,,,,Homeroom 5B,,5,,,,,,,,
S1,585,87,,,,,,,,,,,1,11,,SCI-1,,2,Science,Summer,2025-06-10,2025-07-25
S1,586,99,,,,,,,,,,Study hall,,,Study hall,,,,,,,
""",
    "enrollments.csv": """
School_id,Section_id,Student_id
S1,581,1001
S2,583,1001
S1,581,1002
S2,581,1002
S2,583,1003
S1,582,86
S2,584,teacher-5
S1,585,1004
S1,585,ghost
""",
}


def passport() -> dict[str, pl.DataFrame]:
    return states("passport-roster", PASSPORT_FILES)


IDENTITY_FILES = {
    "schools.csv": """
School_id,School_name
S1,Springfield High
S2,Evergreen Elementary
""",
    "students.csv": """
School_id,Student_id,First_name,Last_name,Middle_name,Grade,DOB,Gender,Email,Username,Password
S1,1001,Ana,Rivera,Q,9,2010-04-05,F,ana.rivera@example.org,arivera,pw-Student-1001
S2,1003,Lan,Nguyen,,PreKindergarten,,,,,
S2,1005,Max,Moss,,3,,M,max@example.org,,
""",
    "staff.csv": """
School_id,Staff_id,First_name,Last_name,Email,Role,Title,Username,Password
S1,47,Braeden,Glover,glover@example.org,teacher,English Teacher,bglover,pw-Staff-47
S2,47,Braeden,Glover,glover@example.org,teacher,English Teacher,bglover,pw-Staff-47
S2,A2,Cecilia,Roderick,cr@example.org,administrator,Principal,,
S1,1001,Pat,Jones,pjones@example.org,staff,Librarian,pjones,
""",
}


def identity() -> dict[str, pl.DataFrame]:
    return states("passport-identity", IDENTITY_FILES)


ONEROSTER_FILES = {
    "orgs.csv": """
sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId
dst-1,,,Fixture District,district,D-1,
sch-1,,,Fixture High,school,FH,dst-1
sch-2,,,Fixture Elementary,school,,dst-1
dep-1,,,Math Department,department,,sch-1
""",
    "academicSessions.csv": """
sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear
sy-25,,,2024-2025,schoolYear,2024-08-01,2025-06-30,,2025
trm-1,,,Fall 2024,term,2024-08-15,2024-12-20,sy-25,2025
trm-2,,,Spring 2025,term,2025-01-06,2025-06-13,sy-25,2025
""",
    "courses.csv": """
sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes
crs-1,,,sy-25,Algebra I,ALG1,"09,10",sch-1,"Mathematics, Algebra","MATH,ALG"
crs-2,,,,Reading,READ,,dst-1,,
""",
    "classes.csv": """
sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods
cls-1,,,Algebra I - P1,09,crs-1,ALG1-1,scheduled,Room 101,sch-1,"trm-1,trm-2",Mathematics,MATH,"1, 2"
cls-2,,,Reading 3,,crs-2,,homeroom,,sch-2,trm-1,,,
""",
    "users.csv": """
sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password
usr-t,,,true,"sch-1,dep-1",teacher,ttaylor,,Tess,Taylor,,T1,ttaylor@example.org,,555-0100,,,
usr-s,,,true,sch-1,student,sstone,"{LDAP:s1},{state:IL:99}",Sam,Stone,R,S1,sam@example.org,555-0111,,usr-p,09,pw-or-usr-s
usr-p,,,false,sch-1,parent,pstone,,Pat,Stone,,,pat@example.org,,,,,
usr-e,,,true,sch-2,student,estar,,Eve,Star,,S2,,,,,03,
""",
    "demographics.csv": """
sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus
usr-s,,,2010-04-05,male,false,true,false,false,false,false,true,US,IL,Springfield,01652
""",
    "enrollments.csv": """
sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate
enr-t,,,cls-1,sch-1,usr-t,teacher,true,2024-08-15,2025-06-13
enr-s,,,cls-1,sch-1,usr-s,student,false,,
enr-e,,,cls-2,sch-2,usr-e,student,,,
""",
    "categories.csv": """
sourcedId,status,dateLastModified,title
cat-1,,,Homework
""",
}


def oneroster() -> dict[str, pl.DataFrame]:
    return states("oneroster-1.1", ONEROSTER_FILES)


# references that do not resolve: a term, a course, an org and an agent that are not there
ONEROSTER_DANGLING_FILES = {
    "classes.csv": """
sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods
cls-1,,,Algebra I - P1,09,crs-1,ALG1-1,scheduled,Room 101,sch-1,"trm-1,trm-gone",Mathematics,MATH,"1, 2"
cls-x,,,Orphan,,crs-gone,,scheduled,,sch-1,trm-1,,,
""",
    "users.csv": """
sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password
usr-s,,,true,"sch-1,sch-gone",student,sstone,,Sam,Stone,,,,,,"usr-gone",,
""",
}

FIXTURES = {
    "passport-roster": passport,
    "passport-identity": identity,
    "oneroster-1.1": oneroster,
}
