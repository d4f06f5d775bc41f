"""Pages for administrators, instructors and learners: server-rendered, in English and Russian."""
