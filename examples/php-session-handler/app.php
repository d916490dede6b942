<?php
// A PHP app served by sessiond as an exec realm, whose $_SESSION is the
// logged-in user's sessiond session (the data every realm of that session
// shares), through the line protocol:
//
//   command: [php, -d, "sessiond.line=127.0.0.1:7777", -S, "127.0.0.1:$PORT", app.php]
//   listen: port
//
// sessiond starts one `php -S` per session and tells it which session in
// SESSIOND_SESSION_ID; PHP sets no cookie of its own.
declare(strict_types=1);
require __DIR__ . '/SessiondSessionHandler.php';

[$host, $port] = explode(':', (string) (get_cfg_var('sessiond.line') ?: '127.0.0.1:7777'));
ini_set('session.serialize_handler', 'php_serialize');
ini_set('session.use_strict_mode', '1');
ini_set('session.use_cookies', '0');
ini_set('session.cache_limiter', '');
session_set_save_handler(new SessiondSessionHandler($host, (int) $port), true);
session_id((string) getenv('SESSIOND_SESSION_ID'));
session_start();

$_SESSION['php-visits'] = (string) ((int) ($_SESSION['php-visits'] ?? '0') + 1);
header('Content-Type: application/json');
echo json_encode([
    'user' => $_SERVER['HTTP_X_SESSIOND_USER'] ?? null,
    'visits' => (int) $_SESSION['php-visits'],
    'keys' => array_keys($_SESSION),
]), "\n";
