-- One database per service, owned by the compose user.
CREATE DATABASE draw;
CREATE DATABASE questionnaire;
CREATE DATABASE review;
CREATE DATABASE notify;
CREATE DATABASE gateway;
