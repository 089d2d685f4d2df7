"""Load tests with locust: user classes per OSO role and the spring-intake load shapes."""
