-- expect: ban-drop-database
drop database analytics;
