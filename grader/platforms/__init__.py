"""Where instructors already grade: Gradescope autograders, LMS rosters and grade imports
(Canvas, Moodle), GitHub Classroom workflows. Each adapter renders the engine's results in the
platform's own format; none of them grades."""
